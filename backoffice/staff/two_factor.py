"""Two-factor authentication for staff: TOTP devices, backup codes and the exemption rule.

One place decides whether a signed-in user has passed the second factor
(`two_factor_satisfied`), so that the admin site, the middleware and the API session
authentication cannot disagree. Token checks go through django-otp's `verify_token`, which
locks the device row, so two concurrent submissions of one code cannot both succeed, and which
applies the device's throttling after wrong codes.
"""

from __future__ import annotations

from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core_banking.common.errors import ValidationFailed

from .models import StaffProfile

BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"

_EXEMPT_CACHE_ATTR = "_staff_2fa_exempt"


class InvalidToken(ValidationFailed):
    code = "invalid_otp_token"
    title = "The code is not valid"


class TooManyAttempts(ValidationFailed):
    code = "otp_throttled"
    status = 429
    title = "Too many wrong codes"


def is_exempt_demo_account(user) -> bool:
    """True only when STAFF_2FA_EXEMPT_DEMO_USERS is on *and* `seed_demo` created this user.

    The flag lives on `StaffProfile`, which nothing but `seed_demo` sets, so turning the setting
    on in a development database never exempts a real account.
    """
    if not settings.STAFF_2FA_EXEMPT_DEMO_USERS or not user.is_authenticated:
        return False
    cached = getattr(user, _EXEMPT_CACHE_ATTR, None)
    if cached is None:
        cached = StaffProfile.objects.filter(user_id=user.pk, is_demo_account=True).exists()
        setattr(user, _EXEMPT_CACHE_ATTR, cached)
    return cached


def is_verified(user) -> bool:
    """The session passed a second factor (set by django-otp's OTPMiddleware)."""
    check = getattr(user, "is_verified", None)
    return bool(check is not None and check())


def two_factor_satisfied(user) -> bool:
    return bool(user.is_authenticated and (is_verified(user) or is_exempt_demo_account(user)))


def confirmed_totp_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("pk").first()


def has_confirmed_totp_device(user) -> bool:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def enrolment_device_get_or_create(*, user) -> TOTPDevice:
    """The unconfirmed TOTP device the user is enrolling (the same one across page reloads).

    Refuses when the user already has a confirmed device: replacing an authenticator with only a
    password would defeat the second factor. An administrator removes the old device instead.
    """
    if has_confirmed_totp_device(user):
        raise ValidationFailed("You already have an authenticator app; sign in with its code.")
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def _check_not_throttled(device) -> None:
    allowed, _details = device.verify_is_allowed()
    if not allowed:
        raise TooManyAttempts("Too many wrong codes. Wait a few seconds and try again.")


def enrolment_confirm(*, user, token: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the user's pending TOTP device with its first valid code and issue backup codes.

    Returns the confirmed device and the new backup codes (plain text, to be shown once).
    """
    token = token.strip().replace(" ", "")
    codes: list[str] = []
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            raise ValidationFailed("There is no authenticator enrolment in progress.")
        _check_not_throttled(device)
        # A wrong code must still count towards the device's throttling, so the refusal is
        # raised after this block commits rather than rolling the failure count back.
        verified = device.verify_token(token)
        if verified:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = backup_codes_issue(user=user)
    if not verified:
        raise InvalidToken("That code is not right. Check your device's clock and try again.")
    return device, codes


def backup_codes_issue(*, user, count: int = BACKUP_CODE_COUNT) -> list[str]:
    """Replace the user's backup codes with `count` new single-use codes."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(count)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def token_verify(*, user, token: str):
    """Check a code from the authenticator app, or a backup code, against the user's devices.

    Returns the device that accepted it (a used backup code is consumed). Raises InvalidToken or
    TooManyAttempts.
    """
    token = token.strip().replace(" ", "").lower()
    # Route by shape so that a backup code never counts as a wrong authenticator code (and the
    # reverse): each failure feeds the throttling of the device it was meant for.
    if token.isdigit() and len(token) in (6, 8):
        devices = list(TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("pk"))
    else:
        devices = list(StaticDevice.objects.devices_for_user(user, confirmed=True).order_by("pk"))
    if not devices:
        raise InvalidToken("That code is not right.")
    throttled = 0
    for device in devices:
        allowed, _details = device.verify_is_allowed()
        if not allowed:
            throttled += 1
            continue
        verified = verify_token(user, device.persistent_id, token)
        if verified is not None:
            return verified
    if throttled == len(devices):
        raise TooManyAttempts("Too many wrong codes. Wait a few seconds and try again.")
    raise InvalidToken("That code is not right.")


def otpauth_qr_svg(uri: str) -> str:
    """The otpauth:// URI as an inline SVG QR code, rendered locally (the secret never leaves)."""
    image = qrcode.make(
        uri,
        image_factory=qrcode.image.svg.SvgPathImage,
        box_size=8,
        border=4,
    )
    return image.to_string(encoding="unicode")


def readable_secret(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for typing into an app when scanning is impossible."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
