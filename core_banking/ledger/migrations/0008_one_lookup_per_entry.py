"""The same ledger invariants for one index look-up per entry instead of three (PostgreSQL only).

Migration 0003 left each entry with three look-ups of its postings: the statement-level trigger on
``ledger_posting`` summed every touched entry's postings in the table, and the deferred trigger on
the entry counted them, then summed them again, at commit. Now:

* the statement-level trigger checks what the statement itself inserted, from its transition
  table alone: no amount finer than its currency allows, and every entry's postings of *this*
  statement summing to zero per currency. An unbalanced entry, or a posting slipped into an
  existing one, is still refused at once (a single posting never sums to zero);
* the deferred constraint trigger on the entry reads its postings once, at commit, and refuses an
  entry with fewer than two postings or that does not balance per currency (whatever wrote them,
  in however many statements).
"""

from django.db import migrations

from core_banking.common.migration_operations import PostgresOnlySQL

FORWARD = r"""
CREATE OR REPLACE FUNCTION ledger_check_entry() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  legs bigint;
  off_currency text;
  off_by numeric;
BEGIN
  SELECT coalesce(sum(n), 0), min(currency_id) FILTER (WHERE total <> 0), min(total) FILTER (WHERE total <> 0)
    INTO legs, off_currency, off_by
    FROM (SELECT currency_id, sum(amount) AS total, count(*) AS n
            FROM ledger_posting WHERE entry_id = NEW.id GROUP BY currency_id) AS per_currency;
  IF legs < 2 THEN
    RAISE EXCEPTION 'ledger: entry % has fewer than two postings', NEW.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_has_postings';
  END IF;
  IF off_currency IS NOT NULL THEN
    RAISE EXCEPTION 'ledger: entry % does not balance: % is off by %', NEW.id, off_currency, off_by
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_balanced';
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION ledger_check_new_postings() RETURNS trigger LANGUAGE plpgsql AS $$
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
  SELECT entry_id, currency_id, sum(amount) AS total INTO bad
    FROM new_postings GROUP BY entry_id, currency_id HAVING sum(amount) <> 0 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger: entry % does not balance: % is off by %', bad.entry_id, bad.currency_id, bad.total
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_balanced';
  END IF;
  RETURN NULL;
END $$;
"""

# Migration 0003's bodies.
REVERSE = r"""
CREATE OR REPLACE FUNCTION ledger_check_entry() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE OR REPLACE FUNCTION ledger_check_new_postings() RETURNS trigger LANGUAGE plpgsql AS $$
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
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_posting_amount_index")]

    operations = [PostgresOnlySQL(FORWARD, REVERSE)]
