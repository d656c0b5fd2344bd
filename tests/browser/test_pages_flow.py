"""What a city admin and the people they add do first, in a real browser, on SQLite and PostgreSQL."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import both_databases, sign_in, sign_out

pytestmark = both_databases


def test_admin_signs_in_switches_language_and_back_and_registers_a_volunteer(page, live_server, city):
    page.goto(live_server.at("/volunteers/"))
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/volunteers/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    page.locator("#f-username").fill(city.admin.username)
    page.locator("#f-password").fill(city.admin.password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(live_server.at("/volunteers/"))  # back where the sign-in interrupted
    expect(page.get_by_role("heading", level=1)).to_have_text("志愿者")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Volunteers")
    page.get_by_role("link", name="Home").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("City administration")  # remembered across pages
    page.get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_have_text("全市管理")

    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="志愿者").click()
    page.get_by_role("link", name="新增志愿者").click()
    page.get_by_label("姓名").fill("李桂兰")
    page.get_by_label("手机号").fill("138 0529 5678")
    page.get_by_label("所属中心").select_option("RZ02")
    page.get_by_label("出生年份").fill("1958")
    page.get_by_role("button", name="保存").click()

    expect(page.get_by_role("status")).to_contain_text("已登记志愿者 李桂兰")
    row = page.locator("table.list tbody tr", has_text="李桂兰")
    expect(row).to_contain_text("13805295678")
    expect(row).to_contain_text("RZ02")

    page.get_by_label("按姓名或手机号搜索").fill("")
    page.get_by_role("button", name="搜索").click()
    names = page.locator("table.list tbody tr td:first-child").all_inner_texts()
    assert names[:2] == ["李桂兰", "王秀英"]  # newest first, both listed


def test_a_refused_form_comes_back_with_the_messages_beside_its_fields(page, live_server, city):
    sign_in(page, live_server, city.staff)
    page.goto(live_server.at("/volunteers/new"))
    page.get_by_label("姓名").fill("")
    page.get_by_label("手机号").fill("13805290000")
    page.get_by_role("button", name="保存").click()

    expect(page.get_by_role("alert")).to_contain_text("姓名：此项为必填。")
    expect(page.locator("#f-name-error")).to_have_text("此项为必填。")
    expect(page.get_by_label("手机号")).to_have_value("13805290000")  # what was typed is kept

    page.get_by_label("姓名").fill("王秀英")
    page.get_by_label("手机号").fill("12345")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#f-phone-error")).to_contain_text("请输入中国大陆手机号码")

    page.get_by_label("手机号").fill("13805291234")  # already registered
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#f-phone-error")).to_have_text("手机号 13805291234 已被登记。")
    expect(page.get_by_label("姓名")).to_have_value("王秀英")


def test_first_sign_in_with_a_one_time_password_forces_a_new_password(page, live_server, city):
    sign_in(page, live_server, city.admin)
    page.goto(live_server.at("/users/new"))
    page.get_by_label("用户名").fill("zhang.min")
    page.get_by_label("页面上显示的姓名").fill("张敏")
    page.get_by_label("角色").select_option("staff")
    page.get_by_label("所属中心（仅工作人员）").select_option("JK01")
    page.get_by_role("button", name="保存").click()
    one_time_password = page.locator("#one-time-password").inner_text().strip()
    assert re.fullmatch(r"\w{4}-\w{4}-\w{4}", one_time_password)
    sign_out(page)

    page.locator("#f-username").fill("zhang.min")
    page.locator("#f-password").fill(one_time_password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(live_server.at("/password"))
    expect(page.locator(".note")).to_contain_text("一次性密码")

    page.goto(live_server.at("/volunteers/"))  # nothing else opens until the password is changed
    expect(page).to_have_url(live_server.at("/password"))

    page.locator("#f-current_password").fill(one_time_password)
    page.locator("#f-new_password").fill("12345678")
    page.locator("#f-confirm_password").fill("12345678")
    page.get_by_role("button", name="保存新密码").click()
    expect(page.locator("#f-new_password-error")).to_contain_text("太常见")

    page.locator("#f-current_password").fill(one_time_password)
    page.locator("#f-new_password").fill("plum-blossom-river-9")
    page.locator("#f-confirm_password").fill("plum-blossom-river-9")
    page.get_by_role("button", name="保存新密码").click()
    expect(page).to_have_url(live_server.at("/"))
    expect(page.get_by_role("status")).to_contain_text("密码已修改")
    expect(page.get_by_role("heading", level=1)).to_have_text("大市口街道养老服务中心")  # the staff home
    expect(page.locator(".who-name")).to_have_text("张敏")

    sign_out(page)
    page.locator("#f-username").fill("zhang.min")
    page.locator("#f-password").fill(one_time_password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码错误")  # the one-time password is spent
    page.locator("#f-password").fill("plum-blossom-river-9")
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(live_server.at("/"))


def test_staff_import_volunteers_from_a_csv_after_a_dry_run(page, live_server, city):
    sign_in(page, live_server, city.staff)
    page.goto(live_server.at("/volunteers/import"))
    bad = "姓名,手机号,服务中心,出生年份\n赵大爷,13900001111,JK01,1950\n钱阿姨,139,JK01,\n孙奶奶,13900003333,RZ02,1949\n"
    page.get_by_label("CSV 或 XLSX 文件").set_input_files(
        files=[{"name": "volunteers.csv", "mimeType": "text/csv", "buffer": bad.encode("utf-8")}])
    page.get_by_role("button", name="检查文件").click()

    expect(page.get_by_role("alert")).to_contain_text("没有导入任何数据")
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td").first).to_have_text("3")  # the line of the file, the header being line 1
    expect(rows.nth(0)).to_contain_text("不是有效的大陆手机号：139")
    expect(rows.nth(1).locator("td").first).to_have_text("4")
    expect(rows.nth(1)).to_contain_text("没有代码为 RZ02 的中心")  # staff import only into their own center
    expect(page.get_by_role("button", name=re.compile("^导入"))).to_have_count(0)

    good = "name,phone,center\n赵大爷,13900001111,JK01\n钱阿姨,13900002222,jk01\n王秀英,13805291234,JK01\n"
    page.get_by_label("CSV 或 XLSX 文件").set_input_files(
        files=[{"name": "volunteers.csv", "mimeType": "text/csv", "buffer": ("\ufeff" + good).encode("utf-8")}])
    page.get_by_role("button", name="检查文件").click()
    summary = page.locator(".report-summary")
    expect(summary.locator("div", has_text="新志愿者").locator("dd")).to_have_text("2")
    expect(summary.locator("div", has_text="已登记").locator("dd")).to_have_text("1")
    page.get_by_role("button", name="导入 2 名志愿者").click()

    expect(page.get_by_role("status")).to_contain_text("新登记 2 名志愿者，1 名此前已登记")
    names = page.locator("table.list tbody tr td:first-child").all_inner_texts()
    assert sorted(names) == sorted(["赵大爷", "钱阿姨", "王秀英"])


def test_admin_deactivates_a_center_and_finds_it_by_status(page, live_server, city):
    sign_in(page, live_server, city.admin)
    page.goto(live_server.at("/centers/"))
    row = page.locator("table.list tbody tr", has_text="RZ02")
    row.get_by_role("button", name=re.compile("^停用")).click()
    expect(page.get_by_role("status")).to_contain_text("中心 RZ02 已停用")
    expect(page.locator("table.list tbody tr", has_text="RZ02")).to_contain_text("已停用")

    page.get_by_label("状态").select_option("false")
    page.get_by_role("button", name="搜索").click()
    expect(page.locator("table.list tbody tr")).to_have_count(1)
    expect(page.locator("table.list tbody tr")).to_contain_text("RZ02")


def test_a_users_stored_language_greets_them_on_a_new_device(page, live_server, city):
    from timebank.auth.access import Principal
    from timebank.db import get_db
    from timebank.users.services import get_user, update_user

    update_user(get_db(live_server.app), actor=Principal.system("test"), user_id=city.volunteer.user_id,
                         locale="en")
    page.goto(live_server.at("/sign-in"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")  # nobody signed in yet: Chinese
    sign_in(page, live_server, city.volunteer)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, 王秀英")
    page.get_by_role("button", name="中文").click()  # this device's choice wins from now on
    expect(page.get_by_role("heading", level=1)).to_have_text("王秀英，您好")
    stored = get_user(get_db(live_server.app), actor=Principal.system("test"), user_id=city.volunteer.user_id)
    assert stored.locale == "zh"  # and it is kept on their user row, for the next new device
