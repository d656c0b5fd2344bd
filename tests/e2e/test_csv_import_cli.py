"""``timebank volunteers import FILE [--dry-run]``."""
from __future__ import annotations

from timebank.auth.access import Principal
from timebank.centers.services import create_center
from timebank.db import get_db
from timebank.volunteers.services import list_volunteers

SYSTEM = Principal.system("test")


def test_the_cli_dry_runs_then_imports_a_gb18030_file(app, tmp_path):
    create_center(get_db(app), actor=SYSTEM, code="JK01", name="京口区中心", district="京口区")
    good = tmp_path / "good.csv"
    good.write_bytes("姓名,手机号,服务中心\n王秀英,13805291234,JK01\n李建国,13805291235,JK01\n".encode("gb18030"))
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["volunteers", "import", str(good), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "2 lines (gb18030): 2 good, 0 errors; would create 2" in dry.output
    assert list_volunteers(get_db(app), actor=SYSTEM).total == 0

    real = runner.invoke(args=["volunteers", "import", str(good)])
    assert real.exit_code == 0 and "created 2" in real.output
    assert list_volunteers(get_db(app), actor=SYSTEM).total == 2


def test_the_cli_names_bad_lines_and_imports_nothing(app, tmp_path):
    create_center(get_db(app), actor=SYSTEM, code="JK01", name="京口区中心", district="京口区")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,phone,center\n王秀英,13805291234,JK01\n李建国,12345,JK01\n", encoding="utf-8-sig")
    result = app.test_cli_runner().invoke(args=["volunteers", "import", str(bad)])
    assert result.exit_code == 1
    assert "line 3: 12345: Please enter a mainland mobile number" in result.output
    assert "nothing was imported" in result.output
    assert list_volunteers(get_db(app), actor=SYSTEM).total == 0
