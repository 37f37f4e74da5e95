"""Customers: the account holders, persons and businesses.

A business customer lists its related parties (beneficial owners, authorised signatories,
directors): each is a natural person with the data a screening needs, optionally linked to a
person customer of the bank. ``kyc_status`` is maintained by the KYC review workflow
(``backoffice.kyc``) through ``services.customer_set_kyc_status``; account opening requires it
to be ``approved``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

COUNTRY = {"max_length": 2, "help_text": "ISO 3166-1 alpha-2 country code"}


class Customer(models.Model):
    class Type(models.TextChoices):
        PERSON = "person", "Person"
        BUSINESS = "business", "Business"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        CLOSED = "closed", "Closed"

    class KycStatus(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        PENDING = "pending", "Pending review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired (re-review due)"

    class RiskRating(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    number = models.CharField(max_length=16, unique=True, editable=False)
    type = models.CharField(max_length=8, choices=Type.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    kyc_status = models.CharField(
        verbose_name="KYC status", max_length=12, choices=KycStatus.choices, default=KycStatus.NOT_STARTED,
        db_index=True,
    )
    kyc_approved_at = models.DateTimeField(verbose_name="KYC approved at", null=True, blank=True)
    next_review_date = models.DateField(null=True, blank=True, db_index=True)
    risk_rating = models.CharField(max_length=6, choices=RiskRating.choices, default=RiskRating.MEDIUM)
    # Person
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    nationality = models.CharField(blank=True, **COUNTRY)
    occupation = models.CharField(max_length=100, blank=True)
    # Business
    legal_name = models.CharField(max_length=200, blank=True)
    registration_number = models.CharField(max_length=64, blank=True)
    incorporation_country = models.CharField(blank=True, **COUNTRY)
    industry = models.CharField(max_length=100, blank=True)
    # Contact
    email = models.EmailField(blank=True, db_index=True)
    phone = models.CharField(max_length=32, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["number"]
        permissions = [
            # Full e-mail, phone, date of birth, addresses and tax ids; without it they are masked
            # (``core_banking.customers.pii``). Changing a customer implies seeing what one changes.
            ("view_customer_pii", "Can see customers' personal data unmasked"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(type="person") & ~Q(first_name="") & ~Q(last_name=""))
                | (Q(type="business") & ~Q(legal_name="")),
                name="customer_name_by_type",
            ),
            models.CheckConstraint(
                condition=~Q(kyc_status="approved") | Q(kyc_approved_at__isnull=False),
                name="customer_kyc_approved_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="customer_person_name"),
            models.Index(fields=["legal_name"], name="customer_legal_name"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.display_name}"

    @property
    def display_name(self) -> str:
        if self.type == self.Type.BUSINESS:
            return self.legal_name
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def country(self) -> str:
        """The customer's main country: residence address, else nationality or incorporation."""
        address = next((a for a in self.addresses.all() if a.kind == Address.Kind.RESIDENTIAL), None)
        if address is not None:
            return address.country
        return self.nationality or self.incorporation_country


class Address(models.Model):
    class Kind(models.TextChoices):
        RESIDENTIAL = "residential", "Residential / registered office"
        POSTAL = "postal", "Postal"
        BUSINESS = "business", "Place of business"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.RESIDENTIAL)
    line1 = models.CharField(max_length=200)
    line2 = models.CharField(max_length=200, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField(max_length=100, blank=True)
    country = models.CharField(**COUNTRY)

    class Meta:
        verbose_name_plural = "addresses"
        constraints = [models.UniqueConstraint(fields=["customer", "kind"], name="customer_address_one_per_kind")]

    def __str__(self) -> str:
        return f"{self.line1}, {self.postal_code} {self.city}, {self.country}"


class TaxResidency(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tax_residencies")
    country = models.CharField(**COUNTRY)
    tax_id = models.CharField(verbose_name="tax ID", max_length=64, blank=True,
                              help_text="Tax identification number (TIN)")

    class Meta:
        verbose_name_plural = "tax residencies"
        constraints = [models.UniqueConstraint(fields=["customer", "country"], name="customer_tax_residency_unique")]

    def __str__(self) -> str:
        return f"{self.country} {self.tax_id}".strip()


class RelatedParty(models.Model):
    """A natural person behind a business customer."""

    class Role(models.TextChoices):
        BENEFICIAL_OWNER = "beneficial_owner", "Beneficial owner"
        SIGNATORY = "signatory", "Authorised signatory"
        DIRECTOR = "director", "Director"

    business = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="related_parties")
    role = models.CharField(max_length=16, choices=Role.choices)
    person = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="roles_in_businesses",
        help_text="The person, when they are a customer of the bank themselves.",
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    nationality = models.CharField(blank=True, **COUNTRY)
    country_of_residence = models.CharField(blank=True, **COUNTRY)
    ownership_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name_plural = "related parties"
        constraints = [
            models.CheckConstraint(
                condition=Q(ownership_percent__isnull=True)
                | (Q(ownership_percent__gt=0) & Q(ownership_percent__lte=100)),
                name="related_party_ownership_0_100",
            ),
            models.CheckConstraint(
                condition=~Q(role="beneficial_owner") | Q(ownership_percent__isnull=False),
                name="related_party_owner_has_share",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.get_role_display()})"
