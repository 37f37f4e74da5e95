"""Writes for API clients and tokens. Each function is one atomic action."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core_banking.common.maker_checker import Deferred, guarded

from . import tokens
from .exceptions import (
    ClientInactive,
    DuplicateClient,
    InvalidClientName,
    InvalidExpiry,
    InvalidOwner,
    InvalidScope,
    TokenAlreadyRevoked,
    TokenIssueForbidden,
    UnknownRole,
)
from .models import ROLE_NAMES, USERNAME_PREFIX, ApiClient, ApiToken

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
SCOPE_PATTERN = re.compile(r"^[a-z][a-z0-9_.:-]{0,49}$")
LAST_USED_RESOLUTION = timedelta(minutes=1)
_PREFIX_ATTEMPTS = 5


def clean_name(name: str) -> str:
    name = (name or "").strip()
    if not NAME_PATTERN.match(name):
        raise InvalidClientName(
            f"{name!r} is not a valid client name: use 2 to 64 lowercase letters, digits, "
            "'.', '_' or '-', starting with a letter or digit."
        )
    return name


def clean_scopes(scopes: Iterable[str]) -> list[str]:
    if isinstance(scopes, str):
        raise InvalidScope("Scopes must be a list of strings, not a single string.")
    cleaned = set()
    for scope in scopes:
        if not isinstance(scope, str) or not SCOPE_PATTERN.match(scope):
            raise InvalidScope(
                f"{scope!r} is not a valid scope: use lowercase letters, digits, '_', '.', ':' "
                "or '-', starting with a letter."
            )
        cleaned.add(scope)
    return sorted(cleaned)


def _role_group(role: str) -> Group:
    if role not in ROLE_NAMES:
        raise UnknownRole(f"Unknown role {role!r}; expected one of: {', '.join(ROLE_NAMES)}.")
    group = Group.objects.filter(name=role).first()
    if group is None:
        raise UnknownRole(
            f"The role group {role!r} does not exist in this database; run `manage.py migrate` "
            "to install the roles catalogue."
        )
    return group


def clean_owner(owner):
    """The owner of a client: an active staff user (a user or its primary key) who is not itself
    an API client's user; `invalid_owner` otherwise."""
    if owner is None or owner == "":
        raise InvalidOwner("Every API client needs an owner: an active staff user.", field="owner")
    if not hasattr(owner, "pk"):
        if isinstance(owner, bool) or not (str(owner).isascii() and str(owner).isdigit()):
            raise InvalidOwner(f"{owner!r} is not a user id.", field="owner")
        owner = get_user_model().objects.filter(pk=int(owner)).first()
        if owner is None:
            raise InvalidOwner("There is no such user to own the API client.", field="owner")
    if ApiClient.objects.filter(user_id=owner.pk).exists():
        raise InvalidOwner(
            f"{owner.get_username()} is an API client's user; an owner is a person.", field="owner"
        )
    if not owner.is_active or not owner.is_staff:
        raise InvalidOwner(
            f"{owner.get_username()} is not an active staff user and cannot own an API client.",
            field="owner",
        )
    return owner


@transaction.atomic
def api_client_create(
    *, name: str, role: str, scopes: Iterable[str] = (), owner=None, created_by=None
) -> ApiClient | Deferred:
    """Create a client owned by `owner` (an active staff user, required) and its dedicated,
    non-staff, password-less user, in its role group and no other: the role is the whole grant.

    Passes the maker-checker gate (``api_client_create``; ``created_by`` is the maker): returns
    the ``Deferred`` approval request unless an approved one is being executed."""
    payload = {"name": name, "role": role, "scopes": scopes if isinstance(scopes, str) else list(scopes),
               "owner_id": getattr(owner, "pk", owner)}
    return guarded("api_client_create", payload=payload, actor=created_by, reason=f"new API client {name}",
                   execute=lambda: _api_client_create(name=name, role=role, scopes=scopes, owner=owner,
                                                      created_by=created_by))


def _api_client_create(*, name: str, role: str, scopes, owner, created_by) -> ApiClient:
    name = clean_name(name)
    scopes = clean_scopes(scopes)
    role_group = _role_group(role)
    owner = clean_owner(owner)
    username = f"{USERNAME_PREFIX}{name}"
    duplicate = DuplicateClient(f"An API client named {name!r} already exists.")
    # A friendly early answer; the unique indexes below are what actually guarantee it.
    if ApiClient.objects.filter(name=name).exists():
        raise duplicate
    try:
        with transaction.atomic():
            user = get_user_model()(username=username, is_staff=False, is_superuser=False)
            user.set_unusable_password()
            user.save()
            client = ApiClient.objects.create(
                name=name, user=user, role=role, scopes=scopes, owner=owner, created_by=created_by
            )
    except IntegrityError as exc:
        raise duplicate from exc
    user.groups.add(role_group)
    return client


@transaction.atomic
def api_token_issue(
    *, client: ApiClient, expires_in: timedelta | None = None, created_by=None
) -> tuple[ApiToken, str]:
    """Issue a token; returns the row and the plain token, which is never stored or shown again.

    Only the client's owner issues its tokens (``created_by``, a person, never an API client's
    user): an administrator who manages clients cannot mint a finance client's token and move
    money with it. (``created_by=None`` is the code's own call, e.g. tests; every route, admin
    action and command names the issuer.)"""
    if expires_in is not None and expires_in <= timedelta(0):
        raise InvalidExpiry("A token lifetime must be positive (or omitted for no expiry).")
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    if created_by is not None and (hasattr(created_by, "api_client") or client.owner_id != created_by.pk):
        raise TokenIssueForbidden(f"Tokens of API client {client.name!r} are issued by its owner "
                                  f"({client.owner.username if client.owner_id else 'none recorded'}), in a staff "
                                  "session, not by an administrator or another client.")
    if not client.is_active:
        raise ClientInactive(f"API client {client.name!r} is deactivated.")
    now = timezone.now()
    secret = tokens.generate_secret()
    for attempt in range(_PREFIX_ATTEMPTS):
        prefix = tokens.generate_prefix()
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    client=client,
                    prefix=prefix,
                    secret_hash=tokens.hash_secret(secret),
                    created_at=now,
                    created_by=created_by,
                    expires_at=now + expires_in if expires_in is not None else None,
                )
        except IntegrityError:
            if attempt == _PREFIX_ATTEMPTS - 1:
                raise
            continue  # prefix collision (about 1 in 10^12 per live token): draw another one
        break
    return token, f"{prefix}{tokens.SEPARATOR}{secret}"


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by=None) -> ApiToken:
    """Revoke a token for good; revoking it twice is refused (`token_already_revoked`)."""
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is not None:
        raise TokenAlreadyRevoked(f"Token {locked.prefix} was revoked at {locked.revoked_at}.")
    locked.revoked_at = timezone.now()
    locked.revoked_by = by
    locked.save(update_fields=["revoked_at", "revoked_by"])
    token.revoked_at, token.revoked_by = locked.revoked_at, locked.revoked_by
    return locked


def api_token_mark_used(*, token: ApiToken, now: datetime | None = None) -> None:
    """Record use at most once per minute per token, so a busy client does not cost a write per
    request; the conditional UPDATE keeps concurrent requests from writing it twice."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    stale_before = now - LAST_USED_RESOLUTION
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale_before)
    ).update(last_used_at=now)
    token.last_used_at = now



def api_client_validate(*, name: str, role: str, scopes: Iterable[str], owner=None) -> dict:
    """Check a would-be client without creating it (forms and the `api_client_create` approval
    use this); returns it normalized: name, role, scopes and owner_id."""
    name = clean_name(name)
    scopes = clean_scopes(scopes)
    _role_group(role)
    owner = clean_owner(owner)
    if ApiClient.objects.filter(name=name).exists():
        raise DuplicateClient(f"An API client named {name!r} already exists.")
    return {"name": name, "role": role, "scopes": scopes, "owner_id": owner.pk}


def api_client_widens(client: ApiClient, *, scopes: Iterable[str], is_active: bool) -> bool:
    """Whether changing `client` to these scopes and activity gives it access it lacks now (a new
    scope, or reactivation): such a change goes through maker-checker (`api_client_change`);
    narrowing (dropping scopes, deactivating) may apply at once."""
    added = set(clean_scopes(scopes)) - set(client.scopes)
    return bool(added) or (is_active and not client.is_active)


@transaction.atomic
def api_client_update(*, client: ApiClient, scopes: Iterable[str], is_active: bool, actor=None
                      ) -> ApiClient | Deferred:
    """Change what a client may do; deactivating it refuses all its tokens at once. Narrowing
    (fewer scopes, deactivating) applies at once; widening (a new scope, reactivating) passes the
    maker-checker gate (``api_client_change``) and returns the ``Deferred`` approval request
    unless an approved one is being executed."""
    wanted = clean_scopes(scopes)
    execute = lambda: _api_client_update(client=client, scopes=wanted, is_active=is_active)  # noqa: E731
    if not api_client_widens(ApiClient.objects.get(pk=client.pk), scopes=wanted, is_active=is_active):
        return execute()
    return guarded("api_client_change", payload={"client_id": client.pk, "scopes": wanted, "is_active": is_active},
                   actor=actor, reason=f"widen API client {client.pk}", execute=execute)


def _api_client_update(*, client: ApiClient, scopes: list[str], is_active: bool) -> ApiClient:
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    client.scopes = clean_scopes(scopes)
    client.is_active = is_active
    client.save(update_fields=["scopes", "is_active"])
    return client
