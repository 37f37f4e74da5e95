"""Cheaper database checks of the same invariants (PostgreSQL only).

Migration 0002 checked every posting with a deferred row trigger: three PL/pgSQL calls per
two-leg transfer, a third of the bulk path's time. Now:

* a deferred constraint trigger per *entry* checks, at commit, that it has at least two postings
  and balances per currency (the deferred check the design asks for);
* a statement-level trigger on ``ledger_posting`` checks, set-based and once per INSERT/COPY
  statement, that every entry the statement touched balances and that no amount is finer than its
  currency allows. An entry's postings must therefore be written in one statement (the engine
  does), and a posting slipped into an existing entry is refused at once.
"""

from django.db import migrations

from core_banking.common.migration_operations import PostgresOnlySQL

FORWARD = r"""
DROP TRIGGER IF EXISTS ledger_posting_balanced ON ledger_posting;
DROP FUNCTION IF EXISTS ledger_check_posting();
DROP TRIGGER IF EXISTS ledger_entry_has_postings ON ledger_entry;
DROP FUNCTION IF EXISTS ledger_check_entry_has_postings();

CREATE FUNCTION ledger_check_entry() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  legs bigint;
  unbalanced record;
BEGIN
  SELECT count(*) INTO legs FROM ledger_posting WHERE entry_id = NEW.id;
  IF legs < 2 THEN
    RAISE EXCEPTION 'ledger: entry % has fewer than two postings', NEW.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_has_postings';
  END IF;
  SELECT currency_id, sum(amount) AS total INTO unbalanced
    FROM ledger_posting WHERE entry_id = NEW.id
   GROUP BY currency_id HAVING sum(amount) <> 0 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger: entry % does not balance: % is off by %', NEW.id, unbalanced.currency_id,
      unbalanced.total USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_balanced';
  END IF;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER ledger_entry_checked
  AFTER INSERT ON ledger_entry
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION ledger_check_entry();

CREATE FUNCTION ledger_check_new_postings() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  SELECT n.id, n.amount, n.currency_id, c.exponent INTO bad
    FROM new_postings n JOIN ledger_currency c ON c.code = n.currency_id
   WHERE scale(trim_scale(n.amount)) > c.exponent LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger: posting % amount % has more than % decimal places for %',
      bad.id, bad.amount, bad.exponent, bad.currency_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_posting_exponent';
  END IF;
  SELECT t.entry_id, s.currency_id, s.total INTO bad
    FROM (SELECT DISTINCT entry_id FROM new_postings) AS t
    CROSS JOIN LATERAL (
      SELECT p.currency_id, sum(p.amount) AS total FROM ledger_posting p
       WHERE p.entry_id = t.entry_id GROUP BY p.currency_id HAVING sum(p.amount) <> 0
    ) AS s
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger: entry % does not balance: % is off by %', bad.entry_id, bad.currency_id, bad.total
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_balanced';
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER ledger_postings_checked
  AFTER INSERT ON ledger_posting
  REFERENCING NEW TABLE AS new_postings
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_new_postings();
"""

REVERSE = r"""
DROP TRIGGER IF EXISTS ledger_postings_checked ON ledger_posting;
DROP FUNCTION IF EXISTS ledger_check_new_postings();
DROP TRIGGER IF EXISTS ledger_entry_checked ON ledger_entry;
DROP FUNCTION IF EXISTS ledger_check_entry();
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_database_invariants")]

    operations = [PostgresOnlySQL(FORWARD, REVERSE)]
