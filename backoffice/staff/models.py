"""Staff: the people who sign in to the back office.

A staff member is a Django user with `is_staff`; what they may do comes from their role groups
(`roles.py`). Every staff page and the admin require two-factor authentication (django-otp TOTP
plus single-use backup codes); `middleware.py` sends a signed-in but unverified user to the 2FA
step. `StaffProfile` holds the back-office attributes Django's user does not have; today only the
demo flag, which `seed_demo` alone sets, so that a real account that happens to be called
`demo_finance` is never mistaken for a demo login.
"""

from django.conf import settings
from django.db import models


class StaffProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile")
    is_demo_account = models.BooleanField(
        default=False,
        help_text="Created by `seed_demo`. Demo accounts may skip 2FA when "
        "STAFF_2FA_EXEMPT_DEMO_USERS is on (development only).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "staff profile"
        permissions = [
            # The operations dashboard (backoffice/staff/pages/dashboard.py): the bank's figures of
            # the day (payments, fees, end of day, backlogs, alerts, reconciliation, safeguarding).
            ("view_operations_dashboard", "Can see the operations dashboard"),
        ]

    def __str__(self) -> str:
        return f"Staff profile of {self.user}"
