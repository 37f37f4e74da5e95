"""Bearer-token authentication for API clients.

`Authorization: Bearer <prefix>.<secret>` (or `Token <prefix>.<secret>`). A request without an
Authorization header, or with another scheme, is left to the next authentication class (session
authentication for staff using the browsable API and /api/docs/). A header in our schemes that
fails is refused with 401 `authentication_failed` and one of the `detail` messages below, which
are stable so clients can tell "renew the token" from "fix your configuration". Failures are
counted per address and per token prefix; past ``API_THROTTLE_AUTH_FAILURES`` the answer is
``429 throttled`` (``throttling.py``).
"""

from __future__ import annotations

import logging

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from core_banking.audit.context import set_actor

from . import throttling, tokens
from .selectors import api_token_get_by_prefix
from .services import api_token_mark_used

logger = logging.getLogger(__name__)

KEYWORDS = (b"bearer", b"token")

MALFORMED_HEADER = "malformed authorization header"
MALFORMED_TOKEN = "malformed token"
INVALID_TOKEN = "invalid token"
TOKEN_REVOKED = "token revoked"
TOKEN_EXPIRED = "token expired"
CLIENT_INACTIVE = "client inactive"
USER_INACTIVE = "user inactive"

# Compared against when the prefix is unknown, so both failures cost the same hash + compare.
_DUMMY_HASH = tokens.hash_secret("no-such-token")


class ApiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        split = None
        if len(parts) == 2:
            try:
                split = tokens.split_token(parts[1].decode("ascii"))
            except UnicodeDecodeError:
                split = None
        prefix = split[0] if split else None
        throttling.check(request, prefix)
        if len(parts) != 2:
            self._refuse(request, None, MALFORMED_HEADER)
        if split is None:
            self._refuse(request, None, MALFORMED_TOKEN)
        prefix, secret = split
        now = timezone.now()

        token = api_token_get_by_prefix(prefix=prefix)
        matches = tokens.secret_matches(secret, token.secret_hash if token else _DUMMY_HASH)
        if token is None or not matches:
            refused = INVALID_TOKEN
        elif token.revoked_at is not None:
            refused = TOKEN_REVOKED
        elif token.is_expired(now=now):
            refused = TOKEN_EXPIRED
        elif not token.client.is_active:
            refused = CLIENT_INACTIVE
        elif not token.client.user.is_active:
            refused = USER_INACTIVE
        else:
            refused = None
        if refused:
            # The prefix is public; never log the secret.
            logger.info("API token refused: %s (prefix %s)", refused, prefix)
            self._refuse(request, prefix, refused)
        user = token.client.user

        api_token_mark_used(token=token, now=now)
        set_actor(user)
        return user, token

    @staticmethod
    def _refuse(request, prefix: str | None, detail: str):
        """Count the failure against the address and the prefix (``throttling``), then refuse."""
        throttling.record_failure(request, prefix)
        raise exceptions.AuthenticationFailed(detail)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'
