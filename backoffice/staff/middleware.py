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
from django.urls import get_script_prefix, get_urlconf, reverse

from .two_factor import has_confirmed_totp_device, two_factor_satisfied

# URL names of the steps a user must reach *before* passing the second factor.
EXEMPT_URL_NAMES = (
    "staff:login",
    "staff:logout",
    "staff:verify",
    "staff:enrol",
    "admin:logout",
)


# The paths above, reversed once per URLconf and script prefix (two reverse() calls on every
# request, API calls included, were about 2 % of a web worker's time: python -m bench --only h).
_REVERSED: dict = {}


def _paths() -> tuple[tuple[str, ...], frozenset[str]]:
    key = (get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    paths = _REVERSED.get(key)
    if paths is None:
        paths = _REVERSED[key] = ((reverse("admin:index"), reverse("staff:home")),
                                  frozenset(reverse(name) for name in EXEMPT_URL_NAMES))
    return paths


def _protected_prefixes() -> tuple[str, ...]:
    return _paths()[0]


def _is_exempt(path: str) -> bool:
    if settings.STATIC_URL and path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return True
    return path in _paths()[1]


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
