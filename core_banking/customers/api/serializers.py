"""Serializers of the customers API: inputs check the shape of a request, outputs render rows.

The rules of substance (names by customer type, ISO country codes, beneficial owners' shares,
related parties only for businesses) are the services' job and come back as
``invalid_customer``; these serializers refuse only what is malformed.

Inputs refuse keys they do not know rather than dropping them (``unknown_field``,
``core_banking.common.api.strict``): a client that sends ``kyc_status`` learns that the API does
not set it (the KYC review workflow does), instead of believing it did. Percentages, like
amounts, are plain decimal JSON strings (``"25.00"``), never numbers.
"""

from __future__ import annotations

from collections.abc import Mapping

from rest_framework import serializers

from core_banking.common.api.strict import DecimalStringField, StrictInputSerializer
from core_banking.customers import pii
from core_banking.customers.models import Address, Customer, RelatedParty, TaxResidency

COUNTRY_HELP = "ISO 3166-1 alpha-2 country code, e.g. NL."
BIRTH_DATE_HELP = ("YYYY-MM-DD; masked as `19**-**-**` for a caller without `customers.view_customer_pii` "
                   "(e-mail, phone, address lines and tax ids are masked too).")
REFUSED = {
    "kyc_status": "The KYC status is set by the KYC review workflow, not through this API.",
    "kyc_approved_at": "The KYC approval time is set by the KYC review workflow, not through this API.",
    "next_review_date": "The next KYC review date is set by the KYC review workflow, not through this API.",
    "status": "Change a customer's status with POST /customers/{id}/status/.",
    "number": "Customer numbers are assigned by the bank.",
}


class StrictSerializer(StrictInputSerializer):
    """A customers input: refuses unknown keys, explaining the names other workflows own."""

    refused: Mapping[str, str] = REFUSED


class PercentField(DecimalStringField):
    """A percentage as a plain JSON string with up to two decimal places, e.g. ``"25.00"``."""

    default_error_messages = {
        "not_a_string": 'Send percentages as JSON strings, e.g. "25.00", not as numbers.',
    }

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_digits", 5)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)


def _text(max_length: int, help_text: str = "") -> serializers.CharField:
    return serializers.CharField(max_length=max_length, required=False, allow_blank=True, help_text=help_text)


def _country(**kwargs) -> serializers.CharField:
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_blank", not kwargs["required"])
    kwargs.setdefault("help_text", COUNTRY_HELP)
    return serializers.CharField(max_length=2, **kwargs)


# --- nested inputs -------------------------------------------------------------------------


class AddressInputSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=Address.Kind.choices, default=Address.Kind.RESIDENTIAL)
    line1 = serializers.CharField(max_length=200)
    line2 = _text(200)
    postal_code = _text(20)
    city = serializers.CharField(max_length=100)
    region = _text(100)
    country = _country(required=True)


class TaxResidencyInputSerializer(StrictSerializer):
    country = _country(required=True)
    tax_id = _text(64, "Tax identification number (TIN).")


class RelatedPartyInputSerializer(StrictSerializer):
    role = serializers.ChoiceField(choices=RelatedParty.Role.choices)
    person_id = serializers.PrimaryKeyRelatedField(
        source="person", queryset=Customer.objects.all(), required=False, allow_null=True,
        help_text="The person, when they are a (person) customer of the bank themselves.",
    )
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    nationality = _country()
    country_of_residence = _country()
    ownership_percent = PercentField(
        required=False, allow_null=True,
        help_text='Share of ownership, e.g. "25.00"; required for a beneficial owner (above 0, at most 100).',
    )


# --- customers -----------------------------------------------------------------------------


class _CustomerFieldsSerializer(StrictSerializer):
    """The fields a client may send; all optional (the service checks what each type needs)."""

    first_name = _text(100, "Person.")
    last_name = _text(100, "Person.")
    date_of_birth = serializers.DateField(required=False, allow_null=True, help_text="Person; required for one.")
    nationality = _country(help_text=f"Person. {COUNTRY_HELP}")
    occupation = _text(100, "Person.")
    legal_name = _text(200, "Business.")
    registration_number = _text(64, "Business: the company register number.")
    incorporation_country = _country(help_text=f"Business. {COUNTRY_HELP}")
    industry = _text(100, "Business.")
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = _text(32)
    addresses = AddressInputSerializer(many=True, required=False, help_text="At most one per kind.")
    tax_residencies = TaxResidencyInputSerializer(many=True, required=False)
    related_parties = RelatedPartyInputSerializer(
        many=True, required=False,
        help_text="Business customers only: beneficial owners (together at most 100%), signatories, directors.",
    )


class CustomerCreateInputSerializer(_CustomerFieldsSerializer):
    type = serializers.ChoiceField(choices=Customer.Type.choices)
    risk_rating = serializers.ChoiceField(
        choices=Customer.RiskRating.choices, required=False,
        help_text="The initial rating (default medium); afterwards the KYC review sets it.",
    )


class CustomerUpdateInputSerializer(_CustomerFieldsSerializer):
    """Only the fields sent change; a list sent (addresses, ...) replaces the customer's list."""

    refused = {
        **REFUSED,
        "type": "A customer's type cannot change; onboard the customer again.",
        "risk_rating": "The risk rating is set by the KYC review workflow, not through this API.",
    }


class CustomerStatusInputSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=Customer.Status.choices)
    reason = serializers.CharField(max_length=500, help_text="Why; recorded in the audit trail.")


class CustomerFilterSerializer(serializers.Serializer):
    search = serializers.CharField(
        required=False, max_length=200,
        help_text="Exact customer number, e-mail or phone, or the start of a last or legal name.",
    )
    type = serializers.ChoiceField(required=False, choices=Customer.Type.choices)
    kyc_status = serializers.ChoiceField(required=False, choices=Customer.KycStatus.choices)
    status = serializers.ChoiceField(required=False, choices=Customer.Status.choices)


# --- outputs -------------------------------------------------------------------------------


class AddressOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Address
        fields = ["kind", "line1", "line2", "postal_code", "city", "region", "country"]


class TaxResidencyOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = TaxResidency
        fields = ["country", "tax_id"]


class RelatedPartyOutputSerializer(serializers.ModelSerializer):
    person_id = serializers.IntegerField(allow_null=True)
    date_of_birth = serializers.CharField(allow_null=True, read_only=True, help_text=BIRTH_DATE_HELP)
    ownership_percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True,
                                                 coerce_to_string=True)

    class Meta:
        model = RelatedParty
        fields = ["id", "role", "person_id", "first_name", "last_name", "date_of_birth", "nationality",
                  "country_of_residence", "ownership_percent"]


class CustomerOutputSerializer(serializers.ModelSerializer):
    """A customer; its personal data masked for a caller who may not see it (``customers.pii``)."""

    display_name = serializers.CharField()
    date_of_birth = serializers.CharField(allow_null=True, read_only=True, help_text=BIRTH_DATE_HELP)
    addresses = AddressOutputSerializer(many=True)
    tax_residencies = TaxResidencyOutputSerializer(many=True)
    related_parties = RelatedPartyOutputSerializer(many=True)

    def _may_see_pii(self) -> bool:
        # Decided once per response (the root serializer's context is shared by a list's items).
        context = self.context
        if "may_see_pii" not in context:
            request = context.get("request")
            user = getattr(request, "user", None) if request is not None else pii.acting_user()
            context["may_see_pii"] = pii.may_see_pii(user)
        return context["may_see_pii"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if self._may_see_pii():
            return data
        data["email"] = pii.mask_email(data.get("email") or "")
        data["phone"] = pii.mask_phone(data.get("phone") or "")
        data["date_of_birth"] = pii.mask_date(data.get("date_of_birth"))
        for address in data.get("addresses") or []:
            for name in ("line1", "line2", "postal_code"):
                address[name] = pii.mask_text(address.get(name) or "")
        for residency in data.get("tax_residencies") or []:
            residency["tax_id"] = pii.mask_id(residency.get("tax_id") or "")
        for party in data.get("related_parties") or []:
            party["date_of_birth"] = pii.mask_date(party.get("date_of_birth"))
        return data

    class Meta:
        model = Customer
        fields = [
            "id", "number", "type", "display_name", "status", "kyc_status", "kyc_approved_at", "next_review_date",
            "risk_rating", "first_name", "last_name", "date_of_birth", "nationality", "occupation", "legal_name",
            "registration_number", "incorporation_country", "industry", "email", "phone", "addresses",
            "tax_residencies", "related_parties", "created_at", "updated_at",
        ]
        read_only_fields = fields
