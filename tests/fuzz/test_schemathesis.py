"""Issue 17: the API survives hostile input. Schemathesis against a live server of the project
(gunicorn, production settings, its own migrated and seeded PostgreSQL database), every operation
of ``/api/schema/`` with every role's token, a fixed seed and a few examples per operation.

It fails on any 5xx, any status code, Content-Type or body the OpenAPI document does not give the
operation, and any error that is not ``application/problem+json`` (``tests/fuzz/hooks.py``). All
the work is in ``tests/fuzz/run.py`` (``python -m tests.fuzz.run`` runs it alone); the counts go
to ``var/fuzz/summary.json``, each token's schemathesis log and JSON report beside it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.fuzz import run as fuzz

SNAPSHOT = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


def test_the_coverage_phase_runs_every_operation_once_with_a_role_its_door_lets_through():
    schema = yaml.safe_load(SNAPSHOT.read_text())
    assigned = fuzz.coverage_assignment(schema)
    operations = [operation["operationId"] for item in schema["paths"].values() for operation in item.values()]
    flat = [operation_id for ids in assigned.values() for operation_id in ids]
    assert sorted(flat) == sorted(operations)
    assert set(assigned) <= {fuzz.client_name(role) for role in fuzz.COVERAGE_ORDER}
    # Posting ledger entries is finance's alone; compliance cases are the compliance roles'.
    assert "ledger_entries_create" in assigned["fuzz-finance"]
    assert "compliance_cases_list" in assigned["fuzz-compliance-officer"]
    assert "accounts_list" in assigned["fuzz-operations"]

@pytest.mark.fuzz
@pytest.mark.slow
def test_every_operation_with_every_role_survives_the_bounded_fuzz_run():
    summary = fuzz.run()
    failed = [item for item in summary.runs if item["failures"] or item["errors"]]
    details = []
    for item in failed:
        log = Path(item["log"])
        text = log.read_text(errors="replace") if log.exists() else ""
        start = text.find("FAILURES")
        details.append(f"--- {item['client']} ({item['log']})\n" + "\n".join(item["failure_kinds"]) + "\n"
                       + (text[start:start + 6000] if start >= 0 else text[-3000:]))
    assert summary.ok, (f"{summary.failures} failures, {summary.errors} errors\n"
                        + json.dumps({k: v for k, v in vars(summary).items() if k != "runs"}) + "\n"
                        + "\n".join(details))
    assert summary.tokens == 8
    assert summary.operations >= 150  # every operation of /api/schema/ (167 today)
