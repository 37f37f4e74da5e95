"""Helpers shared by the test packages."""

from django.apps import apps
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice


def sign_in_verified(client, user):
    """Sign `user` in with a session that has passed the second factor: a confirmed django-otp
    device whose id is in the session is what OTPMiddleware turns into `user.is_verified()`."""
    client.force_login(user)
    device = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def back_office_installed() -> bool:
    """False in the engine-only run (``tests/engine_settings.py``), where no back-office app is installed."""
    return apps.is_installed("backoffice.staff")


def assert_table_is_the_models_transitions(table, model, field: str = "status") -> None:
    """A state machine's transition table names each of the model's django-fsm transitions once,
    and nothing else (``<app>/transitions.py`` against the model's ``@transition`` methods)."""
    names = [t.name for t in table]
    fsm = {t.name for t in model._meta.get_field(field).get_all_transitions(model)}
    assert len(names) == len(set(names)), names
    assert set(names) == fsm, (set(names) ^ fsm)
