"""Deploy checks for staff security settings (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Warning, register


@register("security", deploy=True)
def check_demo_2fa_exemption(app_configs, **kwargs):
    if getattr(settings, "STAFF_2FA_EXEMPT_DEMO_USERS", False):
        return [
            Warning(
                "STAFF_2FA_EXEMPT_DEMO_USERS is on: demo accounts sign in without 2FA.",
                hint="Only `make run` on a developer machine should set it.",
                id="staff.W001",
            )
        ]
    return []
