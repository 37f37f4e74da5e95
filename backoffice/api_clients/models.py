"""API clients and their bearer tokens.

Design:

- An `ApiClient` is a partner system or app that calls the REST API. Each client owns a dedicated
  Django user (`api:<name>`, not staff, unusable password), so permissions, the audit trail and
  throttling work exactly as for staff: the user is a member of its role group and of no other
  (a role is the whole grant: one of the staff role groups, e.g. `operations`, or `api_client`, a
  partner system's baseline). The groups and their permissions are owned by the staff roles
  catalogue; this app only refers to them by name. Tell a machine user from a person with
  `hasattr(user, "api_client")`, never by a group.
- Every client is *owned* by a staff member (`owner`: an active staff user who is not itself an
  API client), so maker and checker can be compared as people (`selectors.person_of`).
- A client also carries *scopes* (e.g. `["ledger"]`): coarse API areas the client may call at all,
  checked before the role permissions (see `core_banking.common.api.permissions`).
- An `ApiToken` is `<prefix>.<secret>`. The prefix is public and unique and is used to find the
  row; only the SHA-256 of the secret is stored and it is compared in constant time. The plain
  token exists only in the response that issued it. Tokens are never deleted: they are revoked
  (or expire) and stay as history of who could call the API when.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Length, Now
from django.db.models.lookups import Exact
from django.utils import timezone

#: The role of a partner system's baseline (a role like the others: its group is the whole grant).
API_CLIENT_ROLE = "api_client"

#: Role group names an API client may be given; the groups themselves (and their permissions)
#: are created by the staff roles catalogue migration.
ROLE_NAMES: tuple[str, ...] = (
    "operations",
    "compliance_reviewer",
    "compliance_officer",
    "support_agent",
    "finance",
    "administrator",
    API_CLIENT_ROLE,
)

USERNAME_PREFIX = "api:"
TOKEN_PREFIX_LENGTH = 8
SECRET_HASH_LENGTH = 64  # sha256 hex digest


class ClientKind(models.TextChoices):
    """What a client may see (see `backoffice.api_clients.visibility`): a partner only the
    customers, accounts, ledger accounts, holds and payments it created; a bank channel (the
    bank's own apps) every customer. Partner is the default; a bank channel is configured."""

    PARTNER = "partner", "Partner"
    BANK_CHANNEL = "bank_channel", "Bank channel"


class ApiClient(models.Model):
    name = models.CharField(max_length=64, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_client"
    )
    role = models.CharField(max_length=64)
    scopes = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    kind = models.CharField(max_length=16, choices=ClientKind.choices, default=ClientKind.PARTNER)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Required for every new client (the services refuse one without it); null only for clients
    # created before owners existed and whose creator is unknown.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_api_clients",
        help_text="The staff member answerable for this client.",
    )

    class Meta:
        verbose_name = "API client"
        verbose_name_plural = "API clients"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=ClientKind.values), name="api_client_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class ApiTokenQuerySet(models.QuerySet):
    def usable(self):
        """Neither revoked nor expired (as of the database clock)."""
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=Now())
        )


class ApiToken(models.Model):
    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="tokens")
    prefix = models.CharField(max_length=TOKEN_PREFIX_LENGTH, unique=True, editable=False)
    secret_hash = models.CharField(max_length=SECRET_HASH_LENGTH, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "API token"
        verbose_name_plural = "API tokens"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Exact(Length("prefix"), TOKEN_PREFIX_LENGTH),
                name="api_token_prefix_length",
            ),
            models.CheckConstraint(
                condition=Exact(Length("secret_hash"), SECRET_HASH_LENGTH),
                name="api_token_secret_hash_length",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__isnull=True)
                | models.Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return self.prefix

    @property
    def scopes(self) -> list[str]:
        """The scopes this token grants: its client's (read by `HasScope`, duck-typed)."""
        return list(self.client.scopes)

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, *, now=None) -> bool:
        now = now or timezone.now()
        return self.expires_at is not None and self.expires_at <= now
