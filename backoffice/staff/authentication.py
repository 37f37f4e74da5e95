"""Session authentication for the API that honours the staff second factor.

Without this, a password alone would open the API through the session cookie set by the first
login step, bypassing 2FA. API clients use tokens and are not affected.
"""

from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication

from .two_factor import two_factor_satisfied


class VerifiedSessionAuthentication(SessionAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and not two_factor_satisfied(result[0]):
            raise exceptions.AuthenticationFailed(
                "Two-factor verification is required for session access to the API: "
                "complete the staff sign-in at /staff/login/, or use an API token."
            )
        return result
