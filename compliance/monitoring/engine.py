"""Evaluating monitoring rules: the versions in force, the flows a payment adds, and one
function per typology. Shared by the real-time check (``checks.py``) and the end-of-day batch
(``eod.py``).

Every window is a bounded index read:

* day windows (cash per day, velocity in days) sum ``CustomerDay`` rows, one per customer, day,
  direction and cash flag, over the key range ``(customer, date)``;
* hour windows (velocity in hours, rapid in/out) sum ``MonitoredFlow`` over the index
  ``(customer, at)`` from the window's start; structuring counts the flows of the window's days
  on ``(customer, business_date)``;
* "never paid this IBAN" is an ``EXISTS`` on ``(customer, counterparty_iban)``;
* dormancy is an ``EXISTS`` on the ledger's ``(account, shard, posted_at)`` from the idle
  threshold (the same customer-posting test as the accounts' dormancy step).

So the cost of a payment depends on the rules and on the activity inside their windows, never on
the length of the customer's history (``bench/monitoring.py`` measures it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils import timezone

from core_banking.common.money import quantize
from core_banking.common.sqlbatch import Batch
from core_banking.config import cache
from core_banking.ledger.models import Currency
from core_banking.payments.selectors import fx_mid_convert

from .kinds import Kind
from .models import CustomerDay, MonitoredFlow, MonitoringRule, RuleVersion

D0 = Decimal(0)
CASH_KINDS = ("cash_deposit", "cash_withdrawal")


def base_currency() -> str:
    return getattr(settings, "BANK_BASE_CURRENCY", "EUR")


# --- the rules in force ---------------------------------------------------------------------


def _all_versions() -> list[RuleVersion]:
    """Every version of every active rule (``rule`` loaded), latest first per rule: cached per
    process until the ``monitoring`` generation changes (``core_banking.config.cache``)."""
    return list(RuleVersion.objects.select_related("rule").filter(rule__is_active=True)
                .order_by("rule_id", "-effective_from", "-version"))


def versions_in_force(date: dt.date, kinds: tuple[str, ...] | None = None) -> list[RuleVersion]:
    """Per active rule, its latest version with ``effective_from <= date`` (rules with none yet
    are not in force), ``rule`` loaded. No query once the rules are cached."""
    seen, out = set(), []
    for version in cache.get("monitoring", "versions", _all_versions):
        if version.rule_id in seen or version.effective_from > date or (kinds and version.rule.kind not in kinds):
            continue
        seen.add(version.rule_id)
        out.append(version)
    return out


def applies_to(version: RuleVersion, customer) -> bool:
    """The version's customer segment: empty lists mean every customer."""
    return ((not version.customer_types or customer.type in version.customer_types)
            and (not version.risk_ratings or customer.risk_rating in version.risk_ratings))


# --- flows ----------------------------------------------------------------------------------


@dataclass
class Flow:
    """One side of a payment as monitoring sees it (one customer, one direction)."""

    payment_id: int | None
    customer: Any  # Customer
    account: Any  # Account
    direction: str  # "in" | "out"
    is_cash: bool
    amount: Decimal
    currency: str
    amount_base: Decimal
    counterparty_iban: str
    counterparty_country: str
    business_date: dt.date
    at: dt.datetime
    kind: str = ""

    @property
    def customer_id(self) -> int:
        return self.customer.pk


def to_base(amount: Decimal, currency: str) -> Decimal:
    base = base_currency()
    if currency == base:
        return amount
    exponent = Currency.objects.filter(code=base).values_list("exponent", flat=True).first()
    return quantize(fx_mid_convert(amount=amount, from_currency=currency, to_currency=base),
                    2 if exponent is None else exponent)


def flows_of(intent) -> list[Flow]:
    """The sides of ``intent`` to monitor: the debtor's customer (out) and the creditor's (in).
    A move between one customer's own accounts (a transfer or an FX conversion) is not monitored:
    no money enters or leaves the customer."""
    debtor, creditor = intent.debtor, intent.creditor
    if debtor is not None and creditor is not None and debtor.customer_id == creditor.customer_id:
        return []
    now = timezone.now()
    amount_base = to_base(intent.amount, intent.currency)
    common = {"payment_id": intent.payment.pk if intent.payment is not None else None,
              "is_cash": intent.kind in CASH_KINDS, "amount": intent.amount, "currency": intent.currency,
              "amount_base": amount_base, "counterparty_iban": (intent.counterparty_iban or "").replace(" ", ""),
              "counterparty_country": (intent.counterparty_country or "").upper(),
              "business_date": intent.business_date, "at": now, "kind": intent.kind}
    flows = []
    if debtor is not None:
        flows.append(Flow(customer=debtor.customer, account=debtor, direction="out", **common))
    if creditor is not None:
        flows.append(Flow(customer=creditor.customer, account=creditor, direction="in", **common))
    return flows


def flows_record(flows: list[Flow], *, writes: Batch | None = None) -> None:
    """Insert the flows and add them to their ``CustomerDay`` rows, set-based: one INSERT of the
    flows, one ``INSERT ... ON CONFLICT DO UPDATE`` of the day rows, in key order (the row is the
    lock; concurrent payments of one customer add up, never overwrite). With ``writes`` (the payment path's
    batch), the statements are added to it instead of run."""
    if not flows:
        return
    batch = writes if writes is not None else Batch()
    batch.insert([
        MonitoredFlow(payment_id=f.payment_id, customer_id=f.customer_id, account_id=f.account.pk,
                      direction=f.direction, is_cash=f.is_cash, amount=f.amount, currency=f.currency,
                      amount_base=f.amount_base, counterparty_iban=f.counterparty_iban[:34],
                      counterparty_country=f.counterparty_country[:2], business_date=f.business_date, at=f.at)
        for f in flows])
    days: dict[tuple, list] = {}
    for f in flows:  # one row per day row touched, its flows added up (a statement may touch a row once)
        day = days.setdefault((f.customer_id, f.business_date, f.direction, f.is_cash), [0, Decimal(0)])
        day[0] += 1
        day[1] += f.amount_base
    table = connection.ops.quote_name(CustomerDay._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(days))
    batch.add(
        f"INSERT INTO {table} (customer_id, business_date, direction, is_cash, count, amount_base) "
        f"VALUES {values} ON CONFLICT (customer_id, business_date, direction, is_cash) "
        f"DO UPDATE SET count = {table}.count + excluded.count,"
        f" amount_base = {table}.amount_base + excluded.amount_base",
        [value for key, (count, amount) in sorted(days.items()) for value in (*key, count, amount)])
    if writes is None:
        batch.run()


def flows_release(payment_id: int) -> int:
    """Take a rejected or returned payment's flows out of the aggregates, once (a second call
    finds nothing). Never below zero. Returns how many flows were released."""
    flows = list(MonitoredFlow.objects.select_for_update().filter(payment_id=payment_id, released_at__isnull=True)
                 .order_by("customer_id", "direction"))
    if not flows:
        return 0
    table = connection.ops.quote_name(CustomerDay._meta.db_table)
    with connection.cursor() as cursor:
        for f in flows:
            cursor.execute(
                f"UPDATE {table} SET count = CASE WHEN count > 0 THEN count - 1 ELSE 0 END, "
                f"amount_base = CASE WHEN amount_base > %s THEN amount_base - %s ELSE 0 END "
                f"WHERE customer_id = %s AND business_date = %s AND direction = %s AND is_cash = %s",
                [f.amount_base, f.amount_base, f.customer_id, f.business_date, f.direction, f.is_cash])
    MonitoredFlow.objects.filter(pk__in=[f.pk for f in flows]).update(released_at=timezone.now())
    return len(flows)


# --- window reads ---------------------------------------------------------------------------


def _live(customer_id: int) -> Any:
    return MonitoredFlow.objects.filter(customer_id=customer_id, released_at__isnull=True)


def _direction_q(direction: str) -> Q:
    return Q() if direction == "any" else Q(direction=direction)


def day_totals(customer_id: int, first: dt.date, last: dt.date, *, direction: str = "any",
               cash: bool | None = None) -> tuple[int, Decimal]:
    """(count, base amount) of the customer's days ``first..last`` (CustomerDay key range)."""
    rows = CustomerDay.objects.filter(_direction_q(direction), customer_id=customer_id,
                                      business_date__gte=first, business_date__lte=last)
    if cash is not None:
        rows = rows.filter(is_cash=cash)
    totals = rows.aggregate(n=Sum("count"), amount=Sum("amount_base"))
    return int(totals["n"] or 0), totals["amount"] or D0


def hour_totals(customer_id: int, start: dt.datetime, end: dt.datetime, *, direction: str = "any"
                ) -> tuple[int, Decimal]:
    """(count, base amount) of the customer's live flows with ``start < at <= end``."""
    totals = _live(customer_id).filter(_direction_q(direction), at__gt=start, at__lte=end).aggregate(
        n=Count("id"), amount=Sum("amount_base"))
    return int(totals["n"] or 0), totals["amount"] or D0


def in_out(customer_id: int, start: dt.datetime, end: dt.datetime) -> tuple[Decimal, Decimal]:
    """(incoming, outgoing) base amounts of the customer's live flows with ``start < at <= end``."""
    totals = _live(customer_id).filter(at__gt=start, at__lte=end).aggregate(
        incoming=Sum("amount_base", filter=Q(direction="in")), outgoing=Sum("amount_base", filter=Q(direction="out")))
    return totals["incoming"] or D0, totals["outgoing"] or D0


def band(params: dict) -> tuple[Decimal, Decimal]:
    """Structuring's band: ``[(1 - margin) * threshold, threshold)``."""
    threshold = Decimal(params["threshold"])
    return threshold * (1 - Decimal(params["margin"])), threshold


def in_band(params: dict, amount: Decimal) -> bool:
    low, high = band(params)
    return low <= amount < high


def band_count(customer_id: int, params: dict, last: dt.date) -> tuple[int, Decimal]:
    low, high = band(params)
    first = last - dt.timedelta(days=int(params["window_days"]) - 1)
    rows = _live(customer_id).filter(_direction_q(params.get("direction", "any")), business_date__gte=first,
                                     business_date__lte=last, amount_base__gte=low, amount_base__lt=high)
    if params.get("cash_only"):
        rows = rows.filter(is_cash=True)
    totals = rows.aggregate(n=Count("id"), amount=Sum("amount_base"))
    return int(totals["n"] or 0), totals["amount"] or D0


# --- hits -----------------------------------------------------------------------------------


@dataclass
class Hit:
    version: RuleVersion
    summary: str
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def rule(self) -> MonitoringRule:
        return self.version.rule


def _fmt(amount: Decimal) -> str:
    return format(quantize(Decimal(amount), 2), "f")


def _dir_ok(params: dict, flow: Flow) -> bool:
    return params.get("direction", "any") in ("any", flow.direction)


def _customer_activity_since(flow: Flow, since: dt.datetime) -> bool:
    """Whether the account had a customer posting after ``since`` (before this payment posts)."""
    from core_banking.ledger.models import Posting

    return (Posting.objects.filter(account_id=flow.account.ledger_account_id, posted_at__gt=since)
            .filter(Q(entry__metadata__has_key="payment") | Q(entry__metadata__deposits="open"))
            .exclude(entry__metadata__has_key="return_of").exists())


def evaluate_flow(version: RuleVersion, flow: Flow) -> Hit | None:
    """Whether ``version`` fires on ``flow`` (already recorded: windows include it)."""
    p, kind, base = version.parameters, version.rule.kind, base_currency()
    amount = flow.amount_base
    if kind == Kind.LARGE_AMOUNT:
        if not _dir_ok(p, flow):
            return None
        threshold = Decimal(p["threshold"])
        currency = p.get("currency") or ""
        if currency:
            if flow.currency != currency or flow.amount < threshold:
                return None
            return Hit(version, f"{flow.direction} payment of {flow.amount} {currency} >= {p['threshold']}",
                       {"amount": str(flow.amount), "currency": currency, "threshold": p["threshold"]})
        if amount < threshold:
            return None
        return Hit(version, f"{flow.direction} payment of {_fmt(amount)} {base} >= {p['threshold']}",
                   {"amount_base": _fmt(amount), "base_currency": base, "threshold": p["threshold"]})
    if kind == Kind.CASH_THRESHOLD:
        return cash_day_hit(version, flow.customer_id, flow.business_date) if flow.is_cash else None
    if kind == Kind.STRUCTURING:
        if not _dir_ok(p, flow) or (p.get("cash_only") and not flow.is_cash) or not in_band(p, amount):
            return None
        count, total = band_count(flow.customer_id, p, flow.business_date)
        return _structuring_hit(version, count, total, flow.business_date)
    if kind == Kind.VELOCITY:
        if not _dir_ok(p, flow):
            return None
        return velocity_hit(version, flow.customer_id, flow.at, flow.business_date)
    if kind == Kind.NEW_COUNTERPARTY_LARGE:
        if flow.direction != "out" or not flow.counterparty_iban or amount < Decimal(p["threshold"]):
            return None
        if _paid_before(flow):
            return None
        return Hit(version, f"first payment to {flow.counterparty_iban}: {_fmt(amount)} {base} >= {p['threshold']}",
                   {"counterparty_iban": flow.counterparty_iban, "amount_base": _fmt(amount),
                    "threshold": p["threshold"], "base_currency": base})
    if kind == Kind.HIGH_RISK_COUNTRY:
        if not _dir_ok(p, flow) or flow.counterparty_country not in p["countries"]:
            return None
        return Hit(version, f"{flow.direction} payment with a counterparty in {flow.counterparty_country}",
                   {"counterparty_country": flow.counterparty_country, "counterparty_iban": flow.counterparty_iban,
                    "amount_base": _fmt(amount), "base_currency": base})
    if kind == Kind.DORMANT_REACTIVATION:
        if amount < Decimal(p["threshold"]):
            return None
        since = flow.at - dt.timedelta(days=int(p["idle_days"]))
        opened = flow.account.activated_at or flow.account.opened_at
        if opened is not None and opened > since:
            return None  # a young account is not a dormant one
        if _customer_activity_since(flow, since):
            return None
        return Hit(version, f"account {flow.account.iban} idle for {p['idle_days']}+ days moved by {_fmt(amount)} "
                            f"{base}", {"account": flow.account.iban, "idle_days": p["idle_days"],
                                        "amount_base": _fmt(amount), "threshold": p["threshold"],
                                        "account_status": flow.account.status, "base_currency": base})
    if kind == Kind.RAPID_IN_OUT:
        if flow.direction != "out":
            return None
        return rapid_hit(version, flow.customer_id, flow.at)
    return None


def _paid_before(flow: Flow) -> bool:
    from core_banking.payments.models import Payment

    if (MonitoredFlow.objects.filter(customer_id=flow.customer_id, direction="out",
                                     counterparty_iban=flow.counterparty_iban, released_at__isnull=True)
            .exclude(payment_id=flow.payment_id).exists()):
        return True
    # Payments from before monitoring was installed (the payments' own index on the IBAN).
    return (Payment.objects.filter(customer_id_debtor=flow.customer_id, status=Payment.Status.POSTED)
            .filter(Q(counterparty_iban=flow.counterparty_iban) | Q(counterparty_iban=_spaced(flow.counterparty_iban)))
            .exclude(pk=flow.payment_id).exists())


def _spaced(iban: str) -> str:
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


def _structuring_hit(version: RuleVersion, count: int, total: Decimal, last: dt.date) -> Hit | None:
    p = version.parameters
    if count < int(p["count"]):
        return None
    low, high = band(p)
    return Hit(version, f"{count} payments between {_fmt(low)} and {_fmt(high)} in {p['window_days']} day(s)",
               {"count": count, "band_low": _fmt(low), "band_high": _fmt(high), "window_days": p["window_days"],
                "window_end": last.isoformat(), "total": _fmt(total), "base_currency": base_currency()})


def structuring_hit(version: RuleVersion, customer_id: int, last: dt.date) -> Hit | None:
    count, total = band_count(customer_id, version.parameters, last)
    return _structuring_hit(version, count, total, last)


def velocity_hit(version: RuleVersion, customer_id: int, end: dt.datetime, last: dt.date) -> Hit | None:
    p = version.parameters
    direction = p.get("direction", "out")
    if p.get("window_hours"):
        count, total = hour_totals(customer_id, end - dt.timedelta(hours=int(p["window_hours"])), end,
                                   direction=direction)
        window = {"window_hours": p["window_hours"], "window_end": end.isoformat()}
    else:
        first = last - dt.timedelta(days=int(p["window_days"]) - 1)
        count, total = day_totals(customer_id, first, last, direction=direction)
        window = {"window_days": p["window_days"], "window_end": last.isoformat()}
    value = count if p["metric"] == "count" else total
    if value < Decimal(str(p["limit"])):
        return None
    return Hit(version, f"{count} {direction} payment(s) totalling {_fmt(total)} {base_currency()} within the "
                        f"window (limit {p['limit']} by {p['metric']})",
               {"count": count, "total": _fmt(total), "metric": p["metric"], "limit": str(p["limit"]),
                "direction": direction, "base_currency": base_currency(), **window})


def rapid_hit(version: RuleVersion, customer_id: int, end: dt.datetime) -> Hit | None:
    p = version.parameters
    incoming, outgoing = in_out(customer_id, end - dt.timedelta(hours=int(p["window_hours"])), end)
    if incoming <= 0 or incoming < Decimal(p["min_incoming"]) or outgoing < incoming * Decimal(p["pct"]) / 100:
        return None
    share = (outgoing / incoming * 100).quantize(Decimal("0.1"))
    return Hit(version, f"{share}% of {_fmt(incoming)} {base_currency()} received in {p['window_hours']}h went out",
               {"incoming": _fmt(incoming), "outgoing": _fmt(outgoing), "share_pct": str(share), "pct": p["pct"],
                "window_hours": p["window_hours"], "window_end": end.isoformat(), "base_currency": base_currency()})


def cash_day_hit(version: RuleVersion, customer_id: int, date: dt.date) -> Hit | None:
    count, total = day_totals(customer_id, date, date, cash=True)
    if count == 0 or total < Decimal(version.parameters["threshold"]):
        return None
    return Hit(version, f"cash of {_fmt(total)} {base_currency()} on {date} >= {version.parameters['threshold']}",
               {"day_total": _fmt(total), "count": count, "business_date": date.isoformat(),
                "threshold": version.parameters["threshold"], "base_currency": base_currency()})
