import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from backoffice.staff.models import StaffProfile
from backoffice.staff.roles import STAFF_ROLE_NAMES, roles_of

from . import loaders
from .factories import StaffUserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()

DEMO_USERNAMES = {f"demo_{role}" for role in STAFF_ROLE_NAMES}


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def demo_users():
    return User.objects.filter(username__startswith="demo_")


def printed_rows(output: str) -> list[tuple[str, str, str, str]]:
    """(role, username, password, status) rows of the table seed_demo prints."""
    return re.findall(r"^(\w+)\s+(demo_\w+)\s+(\S+)\s+(created|exists)$", output, re.MULTILINE)


def printed_logins(output: str) -> dict[str, tuple[str, str]]:
    """username -> (role, password) from the printed table."""
    return {username: (role, pw) for role, username, pw, _status in printed_rows(output)}


def test_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="Refusing to seed demo data with DEBUG off"):
        seed()

    assert not User.objects.filter(username__startswith="demo_").exists()


def test_runs_with_debug_on_without_force(settings):
    settings.DEBUG = True

    seed()

    assert set(demo_users().values_list("username", flat=True)) == DEMO_USERNAMES


def test_creates_one_staff_login_per_role_and_no_api_client_login():
    seed(force=True)

    assert set(demo_users().values_list("username", flat=True)) == DEMO_USERNAMES
    assert not User.objects.filter(username="demo_api_client").exists()
    for role in STAFF_ROLE_NAMES:
        user = User.objects.get(username=f"demo_{role}")
        assert user.is_staff is True
        assert user.is_superuser is False
        assert roles_of(user) == [role]
        assert user.check_password(f"demo-{role}-2026!")
        assert user.staff_profile.is_demo_account is True


def test_is_idempotent_and_resets_nothing():
    seed(force=True)
    finance = User.objects.get(username="demo_finance")
    finance.set_password("changed-by-the-developer")
    finance.save()
    other = StaffUserFactory()
    users_before = User.objects.count()

    output = seed(force=True)

    assert User.objects.count() == users_before
    assert demo_users().count() == len(DEMO_USERNAMES)
    assert StaffProfile.objects.count() == len(DEMO_USERNAMES)
    finance.refresh_from_db()
    assert finance.check_password("changed-by-the-developer")
    assert finance.groups.count() == 1
    assert other.groups.count() == 0
    assert "Existing demo users were left unchanged (passwords not reset)." in output
    assert {status for _r, _u, _p, status in printed_rows(output)} == {"exists"}


def test_prints_every_login_and_the_login_url(monkeypatch):
    monkeypatch.delenv("PORT", raising=False)

    output = seed(force=True)

    assert printed_logins(output) == {f"demo_{role}": (role, f"demo-{role}-2026!") for role in STAFF_ROLE_NAMES}
    assert "Sign in at http://127.0.0.1:8000/staff/login/" in output


def test_login_url_uses_the_port_from_the_environment(monkeypatch):
    monkeypatch.setenv("PORT", "9001")

    output = seed(force=True)

    assert "Sign in at http://127.0.0.1:9001/staff/login/" in output


def test_runs_the_demo_data_loaders_in_order(settings):
    settings.DEMO_DATA_LOADERS = [
        "tests.backoffice.staff.loaders.second",
        "tests.backoffice.staff.loaders.first",
    ]
    loaders.calls.clear()

    output = seed(force=True)

    assert loaders.calls == ["second", "first"]
    assert output.index("second loader ran") < output.index("first loader ran")
    assert output.index("demo_administrator") < output.index("second loader ran")


def test_an_unimportable_loader_is_a_clear_error(settings):
    settings.DEMO_DATA_LOADERS = ["tests.backoffice.staff.loaders.missing"]

    with pytest.raises(CommandError, match="cannot import 'tests.backoffice.staff.loaders.missing'"):
        seed(force=True)


def test_refuses_to_adopt_a_real_account_with_a_demo_username():
    StaffUserFactory(username="demo_finance")

    with pytest.raises(CommandError, match="'demo_finance' exists but was not created by seed_demo"):
        seed(force=True)

    assert not StaffProfile.objects.filter(user__username="demo_finance").exists()


def test_a_printed_demo_login_signs_in_and_reaches_admin(client, settings):
    settings.STAFF_2FA_EXEMPT_DEMO_USERS = True
    logins = printed_logins(seed(force=True))
    _role, password = logins["demo_administrator"]

    response = client.post(
        "/staff/login/",
        {"username": "demo_administrator", "password": password, "next": "/admin/"},
        follow=True,
    )

    assert response.redirect_chain == [("/admin/", 302)]
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == "/admin/"
    body = response.content.decode()
    assert "<h1>Your work</h1>" in body
    assert 'href="/admin/auth/user/"' in body
