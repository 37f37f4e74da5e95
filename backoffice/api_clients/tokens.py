"""The token format: `<prefix>.<secret>`.

The prefix (8 characters of [a-z0-9]) is public: it identifies the row and is what operators see.
The secret is `secrets.token_urlsafe(32)` (256 bits); only its SHA-256 hex digest is stored.
A fast unsalted hash is enough for a random 256-bit secret (there is no dictionary to attack) and
keeps authentication to one indexed lookup and one hash per request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

from .models import TOKEN_PREFIX_LENGTH

PREFIX_ALPHABET = string.ascii_lowercase + string.digits
SEPARATOR = "."


def generate_prefix() -> str:
    return "".join(secrets.choice(PREFIX_ALPHABET) for _ in range(TOKEN_PREFIX_LENGTH))


def generate_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(secret: str, secret_hash: str) -> bool:
    """Constant-time comparison of a presented secret with a stored hash."""
    return hmac.compare_digest(hash_secret(secret), secret_hash)


def split_token(plain: str) -> tuple[str, str] | None:
    """`<prefix>.<secret>` -> (prefix, secret), or None when the token is not in that shape."""
    prefix, sep, secret = plain.partition(SEPARATOR)
    if not sep or not secret or len(prefix) != TOKEN_PREFIX_LENGTH:
        return None
    if any(ch not in PREFIX_ALPHABET for ch in prefix):
        return None
    return prefix, secret
