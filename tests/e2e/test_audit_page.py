"""The audit log page, read as the city admin reads it (found by using the demo city): a role is shown in the
page's language, never as its code, and an empty list of centers shows a dash like every other empty value."""
from __future__ import annotations

import re

import pytest

from tests.auth_helpers import mint_session_key
from timebank.auth.services import change_password, load_principal
from timebank.db import get_db

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


def test_the_audit_log_names_roles_in_the_pages_language(app, client, make_user):
    admin = make_user("admin")
    make_user("volunteer")
    make_user("staff", center="JK01")
    with client.session_transaction() as session:
        session["_user_id"] = mint_session_key(get_db(app), admin)
        session["_fresh"] = True
    response = client.get("/audit/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    values = dict(re.findall(r"<li>\s*(角色|监督的中心)[:：]\s*(.*?)\s*</li>", page, re.S))
    roles = re.findall(r"<li>\s*角色[:：]\s*(.*?)\s*</li>", page, re.S)
    assert "志愿者" in roles and "中心工作人员" in roles, roles
    assert not {"volunteer", "staff", "admin"} & set(roles), roles
    assert values.get("监督的中心") == "—", values
    # An entry without details (a password change) shows a dash, not an empty cell.
    db = get_db(app)
    change_password(db, principal=load_principal(db, admin.user_id), current_password=admin.password,
                    new_password="Yangtze-River 2026")
    with client.session_transaction() as session:
        session["_user_id"] = mint_session_key(db, admin)
    page = client.get("/audit/").get_data(as_text=True)
    cells = re.findall(r'<td data-label="详情">(.*?)</td>', page, re.S)
    assert cells and all(cell.strip() for cell in cells), cells
