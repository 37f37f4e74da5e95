"""The demo ledger (`seed_demo`'s loader): a consistent small bank, loaded any number of times."""

import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command

from core_banking.ledger.demo import KEY_PREFIX, load_demo_ledger
from core_banking.ledger.models import (
    AccountBalance,
    BalanceRule,
    BusinessDay,
    Currency,
    EntryKind,
    Hold,
    JournalEntry,
    LedgerAccount,
    Posting,
)
from core_banking.ledger.selectors import account_balance, trial_balance

# Committed transactions: the deferred balance trigger and the immutability triggers fire.
pytestmark = pytest.mark.django_db(transaction=True)


def _load() -> str:
    out = io.StringIO()
    load_demo_ledger(stdout=out)
    return out.getvalue()


def _snapshot() -> dict:
    return {
        "accounts": LedgerAccount.objects.count(),
        "entries": JournalEntry.objects.count(),
        "postings": Posting.objects.count(),
        "holds": list(Hold.objects.order_by("pk").values_list("pk", "status")),
        "balances": list(AccountBalance.objects.order_by("pk").values_list("pk", "balance", "held", "pending_in")),
        "business_days": BusinessDay.objects.count(),
    }


def test_demo_ledger_loads_a_verifiable_bank_and_a_second_load_posts_nothing():
    # Given a fresh ledger, when the demo is loaded
    first_summary = _load()
    after_first = _snapshot()

    # Then there are weeks of history, and every ledger invariant holds
    assert "33 accounts (33 new)" in first_summary
    assert after_first["entries"] > 50
    assert after_first["business_days"] == 15
    assert BusinessDay.objects.filter(closed_at__isnull=True).count() == 1
    out = io.StringIO()
    call_command("verify_ledger", stdout=out)
    assert "ledger verified" in out.getvalue()
    assert trial_balance().balanced

    # When it is loaded again, every service call replays: nothing is written or changed
    second_summary = _load()

    assert _snapshot() == after_first
    assert "(0 new)" in second_summary
    assert "already loaded, nothing posted" in second_summary
    call_command("verify_ledger", stdout=io.StringIO())


def test_demo_chart_of_accounts_has_the_shapes_the_back_office_relies_on():
    _load()

    by_code = {a.code: a for a in LedgerAccount.objects.select_related("currency", "parent")}
    # Synthetic headers form the tree; analytical accounts hang beneath them.
    for code in ("1000", "1100", "1200", "2000", "2100", "3000", "3100", "4000", "4100", "5000", "6000"):
        assert by_code[code].is_synthetic
    assert by_code["2100-000001-EUR"].parent.code == "2100"
    assert by_code["2100"].parent.code == "2000"
    # FX positions named by the setting, one per currency, under 3100
    for currency in ("EUR", "USD", "GBP", "BTC"):
        position = by_code[settings.LEDGER_FX_POSITION_CODE.format(currency=currency)]
        assert (position.currency_id, position.parent.code) == (currency, "3100")
    # A crypto asset with 8 decimal places
    btc = Currency.objects.get(code="BTC")
    assert (btc.exponent, btc.kind) == (8, Currency.Kind.ASSET)
    # The hot fee-income account is sharded; customer accounts carry a balance rule
    assert by_code["4100-EUR"].shard_count == 8
    assert AccountBalance.objects.filter(account=by_code["4100-EUR"]).count() == 8
    assert by_code["2100-000001-EUR"].balance_rule == BalanceRule.NON_NEGATIVE
    bram = by_code["2100-000002-EUR"]
    assert (bram.balance_rule, bram.overdraft_limit) == (BalanceRule.OVERDRAFT_LIMIT, Decimal("500.00"))


def test_demo_activity_covers_reversal_fx_and_a_pending_hold():
    _load()

    demo_entries = JournalEntry.objects.filter(idempotency_key__startswith=KEY_PREFIX)
    reversal = demo_entries.get(kind=EntryKind.REVERSAL)
    assert reversal.reverses.description == "Monthly account fee"
    assert demo_entries.filter(kind=EntryKind.FX).count() == 5
    assert demo_entries.filter(kind=EntryKind.HOLD_POSTING).exists()
    pending = Hold.objects.get(status=Hold.Status.PENDING)
    assert pending.amount == Decimal("180.00")
    ada = account_balance(account_id=pending.debit_account_id)
    assert ada.held == Decimal("180.00")
    assert ada.available == ada.posted - Decimal("180.00")
    # Bitcoin amounts carry 8 places
    chloe_btc = LedgerAccount.objects.get(code="2100-000003-BTC")
    assert account_balance(account_id=chloe_btc.pk).posted == Decimal("0.00534000")


@pytest.mark.backoffice
def test_seed_demo_runs_the_ledger_loader(settings):
    settings.DEBUG = True
    out = io.StringIO()

    call_command("seed_demo", stdout=out)

    assert "Loading demo data: core_banking.ledger.demo.load_demo_ledger" in out.getvalue()
    assert "Ledger demo: 33 accounts" in out.getvalue()
