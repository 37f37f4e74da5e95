"""The database keeps the invariants on its own (raw SQL, past the ORM)."""

import pytest
from django.db import IntegrityError, connection, transaction

from compliance.screening.models import ListEntry, ListVersion

pytestmark = pytest.mark.django_db


def refused(sql, params=(), error=IntegrityError, match=""):
    with pytest.raises(error, match=match), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def _version_sql(list_id, sha, active):
    return ("INSERT INTO compliance_screening_listversion (list_id, loaded_at, file_name, format, sha256, entry_count, "
            "rejected_count, rejected, is_active) VALUES (%s, now(), 'f.csv', 'opensanctions-csv', %s, 0, 0, '[]', %s)",
            (list_id, sha, active))


def test_one_active_version_per_list_and_a_file_once(sample):
    refused(*_version_sql(sample.list_id, "b" * 64, True), match="screening_one_active_version")
    refused(*_version_sql(sample.list_id, sample.sha256, False), match="screening_version_file_once")
    refused(*_version_sql(sample.list_id, "not-a-hash", False), match="screening_version_sha256")


def test_entries_are_append_only_and_keyed(sample):
    entry = ListEntry.objects.filter(version=sample).first()
    refused("UPDATE compliance_screening_listentry SET name = 'x' WHERE id = %s", [entry.pk], match="append-only")
    refused("DELETE FROM compliance_screening_listentry WHERE id = %s", [entry.pk], match="append-only")
    refused("INSERT INTO compliance_screening_listentry (version_id, external_id, schema, name, aliases, names, "
            "birth_dates, countries, programs, raw) VALUES (%s, 'n1', 'Person', 'No Keys', '[]', '[]', '[]', '[]', "
            "'[]', '{}')", [sample.pk], match="screening_entry_has_keys")
    refused("INSERT INTO compliance_screening_listentry (version_id, external_id, schema, name, aliases, names, "
            "birth_dates, countries, programs, raw) VALUES (%s, %s, 'Person', 'Dup', '[]', '[\"dup\"]', '[]', '[]', "
            "'[]', '{}')", [sample.pk, entry.external_id], match="screening_entry_unique_per_version")


def test_hit_invariants(sample):
    entry = ListEntry.objects.filter(version=sample).first()
    base = ("INSERT INTO compliance_screening_screeninghit (subject_reference, subject_name, context, list_id, "
            "external_id, entry_id, score, outcome, evidence, status, decision_note, created_at) "
            "VALUES (%s, 'n', %s, %s, %s, %s, %s, 'match', '{}', %s, '', now())")
    args = lambda ref, context="kyc", score=95, status="open": [ref, context, sample.list_id, entry.external_id,  # noqa: E731
                                                                entry.pk, score, status]
    refused(base, args("r1", score=101), match="screening_hit_score_0_100")
    refused(base, args("r1", status="cleared"), match="screening_hit_decision_recorded")
    refused(base, args("r1", context="payment"), match="screening_hit_payment_has_payment")
    with connection.cursor() as cursor:
        cursor.execute(base, args("r1"))
    refused(base, args("r1"), match="screening_hit_once_per_subject_entry")
    assert ListVersion.objects.filter(is_active=True).count() == 1
