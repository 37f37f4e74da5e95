"""The back office's answer to the engine's client-isolation seam (``CORE_BANKING_CLIENT_SCOPE``,
``core_banking/common/visibility.py``): whose objects may this caller see?

- a partner API client (the default kind): only what its own user created, so the answer is
  that user;
- a bank-channel API client, and staff: everything (``None``);
- any other authenticated user (neither staff nor an API client): only its own creations.
"""

from __future__ import annotations

from .models import ApiClient, ClientKind


def client_scope(user):
    if user is None or not getattr(user, "is_authenticated", False):
        return user
    try:
        client = user.api_client
    except ApiClient.DoesNotExist:
        client = None
    if client is not None:
        return None if client.kind == ClientKind.BANK_CHANNEL else user
    if user.is_staff or user.is_superuser:
        return None
    return user
