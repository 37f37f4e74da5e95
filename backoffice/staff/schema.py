"""OpenAPI description of the 2FA-aware session authentication (same cookie as Django's)."""

from drf_spectacular.authentication import SessionScheme


class VerifiedSessionScheme(SessionScheme):
    target_class = "backoffice.staff.authentication.VerifiedSessionAuthentication"
