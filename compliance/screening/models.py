"""Sanctions and PEP screening: the watch lists, their loaded versions and entries, and the hits.

* ``WatchList``: one list the bank screens against (``kind`` sanctions or pep), e.g. ``EU-FSF``.
* ``ListVersion``: one loaded file of a list (its sha256 is unique per list: the same file is
  never loaded twice). At most one version per list is active (a partial unique index); loading a
  new version makes it the active one and deactivates the previous one in the same transaction.
  Old versions and their entries are kept: past hits point at them.
* ``ListEntry``: one sanctioned / exposed person or organisation of one version, with the
  normalised names that are the matching keys (``compliance.screening.matching.normalise``).
  Append-only (database trigger): an entry is the record of what the list said.
* ``ScreeningHit``: one subject (a customer, a beneficial owner, a payment's counterparty)
  matching one list entry, with the score and the evidence. One hit per (subject, list, entry
  id): screening again finds the same hit. A reviewer decides it: ``cleared`` (a false
  positive; the subject is clear of that entry from then on) or ``confirmed``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from core_banking.common.history import append_only_triggers
from core_banking.customers.models import Customer
from core_banking.payments.models import Payment


class WatchList(models.Model):
    class Kind(models.TextChoices):
        SANCTIONS = "sanctions", "Sanctions"
        PEP = "pep", "Politically exposed persons"

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    source = models.CharField(max_length=300, blank=True, help_text="Where the list comes from (URL or body).")
    is_active = models.BooleanField(default=True, help_text="Screened against (its active version).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        permissions = [("load_watchlist", "Can load a new version of a watch list"),
                       ("screen_name", "Can screen a name against the watch lists ad hoc")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["sanctions", "pep"]), name="screening_list_kind_valid"),
            models.CheckConstraint(condition=Q(code__regex=r"^[A-Z0-9][A-Z0-9_.-]*$"),
                                   name="screening_list_code_format"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.kind})"


def _no_rows() -> list:
    return []


class ListVersion(models.Model):
    class Format(models.TextChoices):
        OPENSANCTIONS_CSV = "opensanctions-csv", "OpenSanctions targets.simple.csv"
        FTM_JSON = "ftm-json", "FollowTheMoney JSON lines"

    list = models.ForeignKey(WatchList, on_delete=models.PROTECT, related_name="versions")
    loaded_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=255)
    format = models.CharField(max_length=20, choices=Format.choices)
    sha256 = models.CharField(max_length=64)
    entry_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    rejected = models.JSONField(default=_no_rows, blank=True, help_text="Bad rows: [{line, reason}] (first 1,000).")
    is_active = models.BooleanField(default=False)
    loaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")

    class Meta:
        ordering = ["-loaded_at", "-id"]
        get_latest_by = "loaded_at"
        constraints = [
            models.UniqueConstraint(fields=["list", "sha256"], name="screening_version_file_once"),
            models.UniqueConstraint(fields=["list"], condition=Q(is_active=True), name="screening_one_active_version"),
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="screening_version_sha256"),
            models.CheckConstraint(condition=Q(format__in=["opensanctions-csv", "ftm-json"]),
                                   name="screening_version_format_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.list.code} v{self.pk} ({self.entry_count} entries{', active' if self.is_active else ''})"


class ListEntry(models.Model):
    version = models.ForeignKey(ListVersion, on_delete=models.PROTECT, related_name="entries")
    external_id = models.CharField(max_length=200, help_text="The list's own id of the entry.")
    schema = models.CharField(max_length=40, help_text="FollowTheMoney schema: Person, Organization, Company, ...")
    name = models.CharField(max_length=500)
    aliases = models.JSONField(default=list, blank=True)
    names = models.JSONField(default=list, help_text="The normalised name and aliases: the matching keys.")
    birth_dates = models.JSONField(default=list, blank=True, help_text="ISO dates, possibly partial (1952, 1952-10).")
    countries = models.JSONField(default=list, blank=True, help_text="ISO 3166-1 alpha-2, lower case.")
    programs = models.JSONField(default=list, blank=True, help_text="Sanctions programmes or topics.")
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["version", "id"]
        verbose_name_plural = "list entries"
        triggers = append_only_triggers()
        constraints = [
            models.UniqueConstraint(fields=["version", "external_id"], name="screening_entry_unique_per_version"),
            models.CheckConstraint(condition=~Q(name="") & ~Q(external_id=""), name="screening_entry_named"),
            models.CheckConstraint(condition=~Q(names=[]), name="screening_entry_has_keys"),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} {self.name}"


class ScreeningHit(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLEARED = "cleared", "Cleared (false positive)"
        CONFIRMED = "confirmed", "Confirmed"

    class Context(models.TextChoices):
        KYC = "kyc", "KYC screening"
        RESCREEN = "rescreen", "Rescreening after a list update"
        PAYMENT = "payment", "Payment counterparty"

    subject_reference = models.CharField(max_length=100, help_text="Customer number, C.../owner/N, payment:REF.")
    subject_name = models.CharField(max_length=300)
    context = models.CharField(max_length=10, choices=Context.choices)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="screening_hits")
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="screening_hits")
    list = models.ForeignKey(WatchList, on_delete=models.PROTECT, related_name="hits")
    external_id = models.CharField(max_length=200)
    entry = models.ForeignKey(ListEntry, on_delete=models.PROTECT, related_name="hits",
                              help_text="The entry of the version that matched (first time).")
    score = models.PositiveSmallIntegerField()
    outcome = models.CharField(max_length=16, help_text="match or possible_match when recorded.")
    evidence = models.JSONField(default=dict, blank=True)
    alert = models.ForeignKey("compliance_cases.Alert", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="screening_hits")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("decide_screeninghit", "Can clear or confirm a screening hit")]
        indexes = [models.Index(fields=["status", "created_at"], name="screening_hit_queue")]
        constraints = [
            models.UniqueConstraint(fields=["subject_reference", "list", "external_id"],
                                    name="screening_hit_once_per_subject_entry"),
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=100), name="screening_hit_score_0_100"),
            models.CheckConstraint(condition=Q(status__in=["open", "cleared", "confirmed"]),
                                   name="screening_hit_status_valid"),
            models.CheckConstraint(condition=Q(outcome__in=["match", "possible_match"]),
                                   name="screening_hit_outcome_valid"),
            models.CheckConstraint(condition=Q(context__in=["kyc", "rescreen", "payment"]),
                                   name="screening_hit_context_valid"),
            models.CheckConstraint(condition=Q(status="open") | (Q(decided_at__isnull=False) & ~Q(decision_note="")),
                                   name="screening_hit_decision_recorded"),
            models.CheckConstraint(condition=~Q(context="payment") | Q(payment__isnull=False),
                                   name="screening_hit_payment_has_payment"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_reference} ~ {self.list_id}/{self.external_id} ({self.score}, {self.status})"
