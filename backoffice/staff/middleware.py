"""Send signed-in staff who have not passed the second factor to the 2FA step.

Django admin views and staff pages check `two_factor_satisfied` themselves too (defence in
depth); the middleware turns the refusal into a redirect to the right step (verify when the
user has an authenticator, enrol otherwise) and keeps `next`. The API is not covered here: API
clients use tokens, and session access to the API is guarded by `authentication.py`.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import reverse

from .two_factor import has_confirmed_totp_device, two_factor_satisfied

# URL names of the steps a user must reach *before* passing the second factor.
EXEMPT_URL_NAMES = (
    "staff:login",
    "staff:logout",
    "staff:verify",
    "staff:enrol",
    "admin:logout",
)


def _protected_prefixes() -> tuple[str, ...]:
    return (reverse("admin:index"), reverse("staff:home"))


def _is_exempt(path: str) -> bool:
    if settings.STATIC_URL and path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return True
    return path in {reverse(name) for name in EXEMPT_URL_NAMES}


class StaffTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith(_protected_prefixes()) and not _is_exempt(path):
            user = request.user
            if user.is_authenticated and not two_factor_satisfied(user):
                step = "staff:verify" if has_confirmed_totp_device(user) else "staff:enrol"
                query = urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(f"{reverse(step)}?{query}")
        return self.get_response(request)
