"""The OpenAPI document is part of the contract: `docs/openapi.yaml` is checked in, and any change
the code makes to it shows as a diff in review. Regenerate it with `make schema`.

Also here, what the document must say about every operation of a kind: nullable response fields,
the `400` of every write (`unknown_field`), the `404` of every cursor-paginated list (an invalid
cursor)."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
import yaml
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiYamlRenderer
from drf_spectacular.validation import validate_schema

SNAPSHOT = Path(__file__).resolve().parents[3] / "docs" / "openapi.yaml"
UPDATE = "make schema"
WRITES = ("post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def generated() -> tuple[dict, str]:
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS._warn_cache, dict(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, dict(GENERATOR_STATS._error_cache)
    # What `manage.py spectacular --file` writes (the command `make schema` runs).
    return schema, OpenApiYamlRenderer().render(schema, renderer_context={}).decode()


def test_the_checked_in_openapi_document_is_what_the_code_generates(generated):
    schema, text = generated
    validate_schema(schema)
    checked_in = SNAPSHOT.read_text() if SNAPSHOT.exists() else ""

    if checked_in != text:
        diff = "".join(difflib.unified_diff(checked_in.splitlines(keepends=True), text.splitlines(keepends=True),
                                            fromfile="docs/openapi.yaml (checked in)", tofile="generated", n=2))
        lines = diff.splitlines()
        shown = "\n".join(lines[:300]) + (f"\n... {len(lines) - 300} more diff lines" if len(lines) > 300 else "")
        pytest.fail(f"The API contract changed. If that is intended, run `{UPDATE}` and commit "
                    f"docs/openapi.yaml.\n{shown}", pytrace=False)


def test_the_snapshot_is_plain_yaml_of_the_same_document(generated):
    schema, _ = generated
    assert yaml.safe_load(SNAPSHOT.read_text())["paths"].keys() == schema["paths"].keys()


def _property(schema: dict, component: str, name: str) -> dict:
    return schema["components"]["schemas"][component]["properties"][name]


@pytest.mark.parametrize(("component", "name"), [
    ("StatusChangeOutput", "actor"),
    ("TicketHistoryOutput", "actor"),
    ("KycHistory", "actor"),
    ("ApprovalHistoryOutput", "actor"),
    ("History", "actor"),
    ("TicketOutput", "assignee"),
    ("TicketOutput", "team"),
    ("KycApplication", "assignee"),
    ("KycApplication", "decided_by"),
    ("KycApplication", "first_approval_by"),
    ("Case", "assignee"),
    ("Alert", "decided_by"),
    ("ApiClientOutput", "created_by"),
    ("ApiTokenOutput", "created_by"),
    ("ApiTokenOutput", "revoked_by"),
    ("VersionOutput", "created_by"),
    ("PaymentOutput", "debtor_iban"),
    ("PaymentOutput", "creditor_iban"),
    ("DepositOutput", "predecessor"),
    ("KycDocument", "uploaded_by"),
    ("TicketMessageOutput", "author"),
])
def test_fields_that_can_be_null_are_documented_nullable(generated, component, name):
    schema, _ = generated

    assert _property(schema, component, name).get("nullable") is True


def test_every_write_documents_its_400_with_unknown_field(generated):
    schema, _ = generated
    missing = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items() for method, operation in operations.items()
        if method in WRITES and "unknown_field" not in operation["responses"].get("400", {}).get("description", "")
    ]

    assert not missing, missing


def test_every_cursor_paginated_list_documents_the_invalid_cursor_404(generated):
    schema, _ = generated
    lists = {(method, path): operation for path, operations in schema["paths"].items()
             for method, operation in operations.items()
             if any(parameter["name"] == "cursor" for parameter in operation.get("parameters", []))}

    assert len(lists) >= 25
    for (method, path), operation in lists.items():
        assert method == "get", path
        not_found = operation["responses"]["404"]
        assert "cursor" in not_found["description"], path
        assert "application/problem+json" in not_found["content"], path


def test_amounts_are_documented_as_plain_decimal_strings(generated):
    schema, _ = generated

    amount = _property(schema, "PaymentInputRequest", "amount")
    assert (amount["type"], amount["pattern"]) == ("string", r"^-?0*[0-9]{1,20}(?:\.[0-9]{1,18})?$")
    percent = _property(schema, "RelatedPartyInputRequest", "ownership_percent")
    assert percent["pattern"] == r"^-?0*[0-9]{1,3}(?:\.[0-9]{1,2})?$"
    problem = schema["components"]["schemas"]["Problem"]["properties"]
    assert "field" in problem


def test_every_operation_documents_the_front_doors_400(generated):
    """Fuzz finding: a NUL (`%00`) in the query string of any operation is `400 invalid_character`
    (core_banking/common/api/guard.py), but reads documented no 400 at all."""
    schema, _ = generated
    missing = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items() for method, operation in operations.items()
        if "invalid_character" not in operation["responses"].get("400", {}).get("description", "")
        or "application/problem+json" not in operation["responses"]["400"].get("content", {})
    ]

    assert not missing, missing
