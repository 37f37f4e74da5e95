"""Sign-in, sign-out and failed sign-in attempts are audit events."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-enough-password"


def test_a_login_is_recorded_with_the_request_context(client, staff_user, new_events):
    response = client.post(
        reverse("staff:login"),
        {"username": "clerk", "password": PASSWORD},
        REMOTE_ADDR="192.0.2.10",
        HTTP_X_REQUEST_ID="login1",
    )

    assert response.status_code == 302
    [login] = new_events(action="auth.login")
    assert (login.actor_id, login.actor_repr, login.object_type, login.object_id) == (
        staff_user.pk,
        "clerk",
        "auth.user",
        str(staff_user.pk),
    )
    assert (login.request_id, login.client_ip, login.channel) == ("login1", "192.0.2.10", "web")
    assert response["X-Request-ID"] == "login1"


def test_a_failed_login_records_the_username_and_never_the_password(client, staff_user, new_events):
    response = client.post(
        reverse("staff:login"),
        {"username": "clerk", "password": "wrong-guess-123456"},
        REMOTE_ADDR="192.0.2.11",
    )

    assert response.status_code == 200  # the form again, with an error
    [failed] = new_events(action="auth.login_failed")
    assert failed.actor_id is None
    assert (failed.object_type, failed.object_repr, failed.after) == (
        "auth.user",
        "clerk",
        {"username": "clerk"},
    )
    assert failed.client_ip == "192.0.2.11"
    assert failed.request_id == response["X-Request-ID"]
    stored = repr([(e.before, e.after, e.object_repr, e.reason) for e in new_events()])
    assert "wrong-guess" not in stored
    # An anonymous request is not an "http.request" event; the failed login is the record.
    assert new_events(action="http.request") == []


def test_a_logout_is_recorded(client, staff_user, new_events):
    client.force_login(staff_user)

    response = client.post(reverse("staff:logout"), HTTP_X_REQUEST_ID="bye1")

    assert response.status_code == 302
    [logout] = new_events(action="auth.logout")
    assert (logout.actor_id, logout.object_id, logout.request_id) == (
        staff_user.pk,
        str(staff_user.pk),
        "bye1",
    )
    # The request itself is recorded too, for the user who was signed in when it started.
    [request_event] = new_events(action="http.request")
    assert (request_event.actor_id, request_event.after["path"]) == (
        staff_user.pk,
        "/staff/logout/",
    )
