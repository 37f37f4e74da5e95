"""Helpers shared by the test packages."""

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
