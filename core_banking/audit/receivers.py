"""Authentication events, from Django's own signals (session logins: admin and staff pages)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from .services import audit_record

LOGIN, LOGOUT, LOGIN_FAILED = "auth.login", "auth.logout", "auth.login_failed"


def _on_logged_in(sender, request, user, **kwargs):
    audit_record(action=LOGIN, obj=user, actor=user)


def _on_logged_out(sender, request, user, **kwargs):
    if user is not None:  # logging out an anonymous session
        audit_record(action=LOGOUT, obj=user, actor=user)


def _on_login_failed(sender, credentials, request=None, **kwargs):
    # Only the attempted username: Django already masks the password in `credentials`, but
    # nothing else of the credentials is ever stored.
    user_model = get_user_model()
    username = credentials.get(user_model.USERNAME_FIELD) or credentials.get("username") or ""
    audit_record(
        action=LOGIN_FAILED,
        object_type=user_model._meta.label_lower,
        object_repr=str(username),
        after={"username": str(username)},
    )


def connect() -> None:
    user_logged_in.connect(_on_logged_in, dispatch_uid="audit.auth.logged_in")
    user_logged_out.connect(_on_logged_out, dispatch_uid="audit.auth.logged_out")
    user_login_failed.connect(_on_login_failed, dispatch_uid="audit.auth.login_failed")
