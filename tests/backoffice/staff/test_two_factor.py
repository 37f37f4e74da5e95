import re

import pytest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from backoffice.staff.models import StaffProfile

from .conftest import current_token
from .factories import PASSWORD, StaffUserFactory

pytestmark = pytest.mark.django_db

ENROL = "/staff/login/enrol/"
VERIFY = "/staff/login/verify/"


def test_anonymous_admin_visit_goes_to_the_staff_login(client):
    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"] == "/staff/login/?next=%2Fadmin%2F"


def test_staff_without_a_device_is_sent_from_admin_to_enrolment(client, staff_user):
    client.force_login(staff_user)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"] == f"{ENROL}?next=%2Fadmin%2F"


def test_staff_with_a_device_is_sent_from_admin_to_verification(client, staff_user, totp_device):
    client.force_login(staff_user)

    response = client.get("/admin/auth/user/?q=x")

    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Fadmin%2Fauth%2Fuser%2F%3Fq%3Dx"


def test_staff_pages_also_require_the_second_factor(client, staff_user):
    client.force_login(staff_user)

    response = client.get("/staff/")

    assert response.status_code == 302
    assert response["Location"] == f"{ENROL}?next=%2Fstaff%2F"


def test_password_step_leads_to_enrolment_with_next_kept(client, staff_user):
    response = client.post(
        "/staff/login/",
        {"username": staff_user.username, "password": PASSWORD, "next": "/admin/"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"{ENROL}?next=%2Fadmin%2F"
    assert int(client.session["_auth_user_id"]) == staff_user.pk


def test_password_step_ignores_an_offsite_next(client, staff_user, totp_device):
    response = client.post(
        "/staff/login/",
        {"username": staff_user.username, "password": PASSWORD, "next": "https://evil.example/"},
    )

    assert response["Location"] == f"{VERIFY}?next=%2Fadmin%2F"


def test_non_staff_user_cannot_sign_in(client):
    user = StaffUserFactory(is_staff=False)

    response = client.post("/staff/login/", {"username": user.username, "password": PASSWORD})

    assert response.status_code == 200
    assert "This account may not sign in to the back office." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_enrolment_with_a_real_totp_code_verifies_the_session(client, staff_user):
    client.force_login(staff_user)

    page = client.get(f"{ENROL}?next=/admin/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body
    device = TOTPDevice.objects.get(user=staff_user)
    assert device.confirmed is False
    assert "otpauth://" not in body  # the secret is only in the QR code and the text below
    secret_text = re.search(r'<code class="secret"[^>]*>([A-Z2-7 ]+)</code>', body).group(1)
    assert len(secret_text.replace(" ", "")) == 32
    assert client.get(ENROL).status_code == 200  # a reload keeps the same pending device
    assert TOTPDevice.objects.filter(user=staff_user).count() == 1

    response = client.post(ENROL, {"token": current_token(device), "next": "/admin/"})

    assert response.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed is True
    backup = StaticDevice.objects.get(user=staff_user)
    assert sorted(backup.token_set.values_list("token", flat=True)) == sorted(codes)
    assert client.get("/admin/").status_code == 200
    assert client.get("/staff/").status_code == 200


def test_enrolment_refuses_a_wrong_code(client, staff_user):
    client.force_login(staff_user)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=staff_user)
    wrong = f"{(int(current_token(device)) + 1) % 1_000_000:06d}"

    response = client.post(ENROL, {"token": wrong})

    assert response.status_code == 200
    assert "That code is not right." in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False
    assert device.throttling_failure_count == 1
    assert StaticDevice.objects.filter(user=staff_user).count() == 0
    assert client.get("/admin/")["Location"] == f"{ENROL}?next=%2Fadmin%2F"


def test_a_user_with_an_authenticator_cannot_enrol_another_with_a_password_only(client, staff_user, totp_device):
    client.force_login(staff_user)

    response = client.get(ENROL)

    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=staff_user).count() == 1


def test_verification_with_the_current_code_lets_the_user_into_admin(client, staff_user, totp_device):
    client.force_login(staff_user)
    session_key = client.session.session_key

    response = client.post(VERIFY, {"token": current_token(totp_device), "next": "/admin/"})

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.session.session_key != session_key  # new session key once verified
    assert client.get("/admin/").status_code == 200


def test_verification_refuses_a_wrong_code(client, staff_user, totp_device):
    client.force_login(staff_user)
    wrong = f"{(int(current_token(totp_device)) + 500_000) % 1_000_000:06d}"

    response = client.post(VERIFY, {"token": wrong, "next": "/admin/"})

    assert response.status_code == 200
    assert "That code is not right." in response.content.decode()
    assert client.get("/admin/")["Location"] == f"{VERIFY}?next=%2Fadmin%2F"


def test_a_code_cannot_be_replayed(client, staff_user, totp_device):
    token = current_token(totp_device)
    client.force_login(staff_user)
    assert client.post(VERIFY, {"token": token})["Location"] == "/admin/"
    other = client_class_copy(client)
    other.force_login(staff_user)

    response = other.post(VERIFY, {"token": token})

    assert response.status_code == 200
    assert other.get("/admin/").status_code == 302


def test_a_backup_code_works_once(client, staff_user, totp_device):
    device = StaticDevice.objects.create(user=staff_user, name="Backup codes")
    StaticToken.objects.create(device=device, token="abcd2345")
    client.force_login(staff_user)

    response = client.post(VERIFY, {"token": "ABCD 2345", "next": "/staff/"})

    assert response["Location"] == "/staff/"
    assert device.token_set.count() == 0
    totp_device.refresh_from_db()
    assert totp_device.throttling_failure_count == 0
    other = client_class_copy(client)
    other.force_login(staff_user)
    assert other.post(VERIFY, {"token": "abcd2345"}).status_code == 200
    assert other.get("/admin/").status_code == 302


def test_logout_ends_the_session(client, staff_user, totp_device):
    client.force_login(staff_user)
    client.post(VERIFY, {"token": current_token(totp_device)})

    response = client.post("/staff/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/staff/login/"
    assert "_auth_user_id" not in client.session


def test_home_shows_who_you_are_and_your_roles(client, staff_user, totp_device):
    from backoffice.staff.roles import assign_role

    assign_role(staff_user, "compliance_officer")
    client.force_login(staff_user)
    client.post(VERIFY, {"token": current_token(totp_device)})

    body = client.get("/staff/").content.decode()

    assert f"<dd>{staff_user.username}</dd>" in body
    assert "Compliance officer" in body
    assert 'href="/admin/"' in body
    assert 'href="/api/docs/"' in body


@pytest.mark.urls("tests.backoffice.staff.urls_with_api_probe")
def test_api_refuses_a_session_that_has_not_passed_the_second_factor(client, staff_user):
    client.force_login(staff_user)

    response = client.get("/api/v1/test-whoami/")

    # DRF answers 401 when the first authentication class names a WWW-Authenticate scheme.
    assert response.status_code == (401 if response.has_header("WWW-Authenticate") else 403)
    assert response.json()["code"] == "authentication_failed"
    assert response.json()["detail"].startswith("Two-factor verification is required")


@pytest.mark.urls("tests.backoffice.staff.urls_with_api_probe")
def test_api_accepts_a_verified_session(client, staff_user, totp_device):
    client.force_login(staff_user)
    client.post(VERIFY, {"token": current_token(totp_device)})

    response = client.get("/api/v1/test-whoami/")

    assert response.status_code == 200
    assert response.json() == {"username": staff_user.username}


class TestDemoExemption:
    @staticmethod
    def demo_user(username="demo_finance"):
        user = StaffUserFactory(username=username)
        StaffProfile.objects.create(user=user, is_demo_account=True)
        return user

    def test_demo_account_skips_2fa_when_the_setting_is_on(self, client, settings):
        settings.STAFF_2FA_EXEMPT_DEMO_USERS = True
        client.force_login(self.demo_user())

        assert client.get("/admin/").status_code == 200

    def test_demo_account_needs_2fa_when_the_setting_is_off(self, client, settings):
        settings.STAFF_2FA_EXEMPT_DEMO_USERS = False
        client.force_login(self.demo_user())

        assert client.get("/admin/")["Location"] == f"{ENROL}?next=%2Fadmin%2F"

    def test_other_accounts_need_2fa_even_with_the_setting_on(self, client, settings, staff_user):
        settings.STAFF_2FA_EXEMPT_DEMO_USERS = True
        client.force_login(staff_user)

        assert client.get("/admin/")["Location"] == f"{ENROL}?next=%2Fadmin%2F"

    def test_a_demo_like_username_is_not_enough(self, client, settings):
        settings.STAFF_2FA_EXEMPT_DEMO_USERS = True
        lookalike = StaffUserFactory(username="demo_administrator")
        StaffProfile.objects.create(user=lookalike, is_demo_account=False)
        client.force_login(lookalike)

        assert client.get("/admin/")["Location"] == f"{ENROL}?next=%2Fadmin%2F"


def client_class_copy(client):
    """A second browser: a fresh client of the same class."""
    return type(client)()


def test_admin_never_shows_a_colleagues_totp_secret(client, totp_device):
    administrator = StaffUserFactory(is_superuser=True)
    own_device = TOTPDevice.objects.create(user=administrator, name="phone", confirmed=True)
    client.force_login(administrator)
    client.post(VERIFY, {"token": current_token(own_device)})
    change_url = f"/admin/otp_totp/totpdevice/{totp_device.pk}/change/"

    page = client.get(change_url)

    assert page.status_code == 200
    assert totp_device.key not in page.content.decode()
    assert client.get(f"/admin/otp_totp/totpdevice/{totp_device.pk}/config/").status_code == 403


def test_admin_login_url_sends_a_verified_user_to_the_admin_index(client, staff_user, totp_device):
    client.force_login(staff_user)
    client.post(VERIFY, {"token": current_token(totp_device)})

    response = client.get("/admin/login/?next=/admin/auth/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_the_middlewares_paths_are_reversed_once_per_script_prefix():
    from django.urls import get_script_prefix, reverse, set_script_prefix

    from backoffice.staff import middleware

    assert middleware._protected_prefixes() == (reverse("admin:index"), reverse("staff:home"))
    assert middleware._is_exempt(reverse("staff:login")) and not middleware._is_exempt(reverse("staff:home"))
    before = get_script_prefix()
    set_script_prefix("/bank/")  # deployed under a path: the reversed paths carry it
    try:
        assert middleware._protected_prefixes() == (reverse("admin:index"), reverse("staff:home"))
        assert middleware._protected_prefixes()[0].startswith("/bank/")
        assert middleware._is_exempt(reverse("staff:login"))
    finally:
        set_script_prefix(before)
    assert not middleware._protected_prefixes()[0].startswith("/bank/")
