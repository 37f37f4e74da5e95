import pytest
from axes.models import AccessAttempt

from .factories import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client, username, password):
    return client.post("/staff/login/", {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_login_even_for_the_right_password(client, staff_user):
    statuses = [sign_in(client, staff_user.username, "wrong-password").status_code for _ in range(5)]

    response = sign_in(client, staff_user.username, PASSWORD)

    assert statuses == [200, 200, 200, 200, 429]
    assert response.status_code == 429
    body = response.content.decode()
    assert "Sign-in temporarily locked" in body
    assert "for 1 hour" in body
    assert "<main" in body
    assert "_auth_user_id" not in client.session
    attempt = AccessAttempt.objects.get(username=staff_user.username)
    # The refused sixth attempt counts too (axes restarts the cool-off on every locked attempt).
    assert attempt.failures_since_start == 6


def test_four_wrong_passwords_still_allow_the_right_one(client, staff_user):
    for _ in range(4):
        sign_in(client, staff_user.username, "wrong-password")

    response = sign_in(client, staff_user.username, PASSWORD)

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == staff_user.pk
    assert AccessAttempt.objects.filter(username=staff_user.username).count() == 0


def test_the_lockout_is_per_username(client, staff_user):
    from .factories import StaffUserFactory

    colleague = StaffUserFactory()
    for _ in range(5):
        sign_in(client, staff_user.username, "wrong-password")

    response = sign_in(client, colleague.username, PASSWORD)

    assert response.status_code == 302
