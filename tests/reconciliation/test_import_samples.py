"""Every shared sample statement imports; counts and balanced flags as the README states."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from reconciliation.models import Statement, StatementFile, StatementLine
from reconciliation.services import ReconciliationError, statement_import

from .conftest import SAMPLES, external_account

pytestmark = pytest.mark.django_db

CAMT = SAMPLES / "camt053"
MT940 = SAMPLES / "mt940"

# file, account identifier, currency, statements, lines, balanced flags in file order
CAMT_CASES = [
    ("genkgo_camt053.v2.multi.statement.xml", "NL26VAYB8060476890", "EUR", 2, 2, [True, True]),
    ("viafintech_valid_example.xml", "DE14740618130000033626", "EUR", 1, 5, [True]),  # 4 entries, 1 batch of 2
    ("viafintech_valid_example_stuzza.xml", "AT021200000703447144", "EUR", 1, 3, [True]),
    ("viafintech_valid_example_v4.xml", "CH0309000000250090342", "CHF", 1, 32, [True]),  # 13 entries / 32 TxDtls
    ("viafintech_valid_example_v8.xml", "CH1111111111111111111", "CHF", 1, 3, [False]),  # 83264.23 vs 84515.25
    ("viafintech_valid_example_with_batch.xml", "NL18INGB00012345678", "EUR", 1, 3, [False]),
]
MT940_CASES = [
    ("jejik_abnamro.sta", "517852257", "EUR", 2, 10, [False, False]),
    ("jejik_ing.sta", "0001234567", "EUR", 1, 7, [False]),
    ("jejik_rabobank-iban.sta", "NL71RABO0123456789", "EUR", 2, 4, [True, True]),
    ("mBank_mt940.sta", "PL29114010810000267002001002", "PLN", 1, 3, [True]),
    ("self-provided_raiffeisen-cmi.sta", "UBRTHUHB/123456789150ABCDEF002/HUF", "HUF", 1, 7, [False]),
    ("ASNB_0708271685_09022020_164516.940.txt", "NL81ASNB9999999999", "EUR", 31, 8, [True] * 31),
]


@pytest.mark.parametrize(("name", "identifier", "currency", "n_statements", "n_lines", "balanced"), CAMT_CASES)
def test_camt053_samples_import(name, identifier, currency, n_statements, n_lines, balanced):
    account = external_account(identifier, currency)
    result = statement_import(external_account=account, file=CAMT / name, format="camt053", actor=None)
    assert len(result.statements) == n_statements
    assert result.lines == n_lines == StatementLine.objects.filter(external_account=account).count()
    assert [s.balanced for s in result.statements] == balanced
    for st in result.statements:
        assert st.computed_closing == st.opening_balance + sum(st.lines.values_list("amount", flat=True))
    assert result.file.file.read().startswith(b"<?xml")


@pytest.mark.parametrize(("name", "identifier", "currency", "n_statements", "n_lines", "balanced"), MT940_CASES)
def test_mt940_samples_import(name, identifier, currency, n_statements, n_lines, balanced):
    account = external_account(identifier, currency)
    result = statement_import(external_account=account, file=MT940 / name, format="mt940", actor=None)
    assert len(result.statements) == n_statements
    assert result.lines == n_lines
    assert [s.balanced for s in result.statements] == balanced


def test_betterplace_multi_account_file_routes_each_statement():
    """20 accounts in one file (26 :20: blocks; 5 statements continue over 2-3 messages and are
    joined). Each statement goes to the external account of its :25:."""
    import re

    text = (MT940 / "betterplace_sepa_mt9401.sta").read_text(encoding="latin-1")
    identifiers = sorted(set(re.findall(r"^:25:(\S+)", text, flags=re.M)))
    assert len(identifiers) == 20
    accounts = [external_account(identifier) for identifier in identifiers]
    result = statement_import(external_account=accounts[0], file=MT940 / "betterplace_sepa_mt9401.sta",
                              format="mt940", actor=None)
    assert len(result.statements) == 20
    assert result.lines == 97
    assert sum(s.balanced for s in result.statements) == 18
    assert {s.external_account_id for s in result.statements} == {a.pk for a in accounts}
    joined = Statement.objects.get(statement_id="T089414056000001")  # 3 messages, :62M: in between
    assert joined.line_count == 12 and joined.balanced


def test_statement_for_unknown_account_is_skipped_and_reported():
    account = external_account("50880050/0194804000888")
    result = statement_import(external_account=account, file=MT940 / "betterplace_sepa_mt9401.sta", actor=None)
    assert len(result.statements) == 1
    assert len(result.skipped_statements) == 19
    assert all("no external account" in e["reason"] for e in result.skipped_statements)


def test_file_for_another_account_is_refused():
    account = external_account("NL00OTHER0000000001")
    with pytest.raises(ReconciliationError) as error:
        statement_import(external_account=account, file=MT940 / "mBank_mt940.sta", actor=None)
    assert error.value.code == "account_mismatch"
    assert not StatementFile.objects.exists()


def test_same_file_twice_is_refused():
    account = external_account("NL71RABO0123456789")
    statement_import(external_account=account, file=MT940 / "jejik_rabobank-iban.sta", actor=None)
    with pytest.raises(ReconciliationError) as error:
        statement_import(external_account=account, file=MT940 / "jejik_rabobank-iban.sta", actor=None)
    assert error.value.code == "duplicate_file"
    assert Statement.objects.count() == 2


def test_overlapping_statement_is_refused():
    account = external_account("NL71RABO0123456789")
    statement_import(external_account=account, file=MT940 / "jejik_rabobank-iban.sta", actor=None)
    # The second statement alone (another file: another sha256), period 2013-01-09..15.
    text = (MT940 / "jejik_rabobank-iban.sta").read_bytes()
    second = text[text.index(b":20:", text.index(b":20:") + 4):]
    with pytest.raises(ReconciliationError) as error:
        statement_import(external_account=account, file=second, format="mt940", actor=None)
    assert error.value.code == "statement_overlap"
    assert StatementFile.objects.count() == 1


def test_same_numbered_statement_is_refused_even_without_overlap():
    account = external_account("NL81ASNB9999999999")
    data = (MT940 / "ASNB_0708271685_09022020_164516.940.txt").read_bytes()
    first = data[:data.index(b":20:", data.index(b":20:") + 4)]
    statement_import(external_account=account, file=first, format="mt940", actor=None)
    # Same :20:/:28C: (1/1) with the dates moved to February: no overlap, same statement number.
    moved = first.replace(b"200101", b"200201")
    with pytest.raises(ReconciliationError) as error:
        statement_import(external_account=account, file=moved, format="mt940", actor=None)
    assert error.value.code == "statement_duplicate"


def test_import_statement_command(capsys):
    account = external_account("PL29114010810000267002001002", "PLN")
    call_command("import_statement", str(account.pk), str(MT940 / "mBank_mt940.sta"), "--format", "mt940")
    assert "1 statement(s), 3 lines" in capsys.readouterr().out
    with pytest.raises(CommandError, match="duplicate_file"):
        call_command("import_statement", account.account_identifier, str(MT940 / "mBank_mt940.sta"))


def test_format_is_detected():
    account = external_account("NL26VAYB8060476890")
    result = statement_import(external_account=account, file=CAMT / "genkgo_camt053.v2.multi.statement.xml",
                              actor=None)
    assert result.file.format == "camt053"
    line = StatementLine.objects.filter(external_account=account).first()
    assert line.amount != Decimal(0)
