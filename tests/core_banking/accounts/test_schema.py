"""The customers and accounts APIs document themselves: a valid OpenAPI document, no generator
warnings, problem+json errors, and no way to send a KYC status."""

from __future__ import annotations

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema


def _schema() -> dict:
    """The whole project's schema, with the project's settings (ENUM_NAME_OVERRIDES names the
    choice sets of the several fields called kind, type and status)."""
    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_api_including_customers_and_accounts_generates_a_valid_schema_without_warnings():
    GENERATOR_STATS.reset()

    schema = _schema()

    assert not GENERATOR_STATS._warn_cache, dict(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, dict(GENERATOR_STATS._error_cache)
    validate_schema(schema)
    assert {
        "/api/v1/customers/", "/api/v1/customers/{customer_id}/", "/api/v1/customers/{customer_id}/status/",
        "/api/v1/products/", "/api/v1/products/{product_id}/", "/api/v1/accounts/", "/api/v1/accounts/{account_id}/",
        "/api/v1/accounts/{account_id}/balance/", "/api/v1/accounts/{account_id}/close/",
        "/api/v1/accounts/{account_id}/overdraft/", "/api/v1/accounts/{account_id}/{action}/",
    } <= set(schema["paths"])
    transition = schema["paths"]["/api/v1/accounts/{account_id}/{action}/"]["post"]
    action = next(p for p in transition["parameters"] if p["name"] == "action")
    assert action["schema"]["enum"] == ["block-credits", "block-debits", "freeze", "reactivate", "unblock",
                                        "unfreeze"]
    assert "application/problem+json" in transition["responses"]["409"]["content"]
    listing = {p["name"] for p in schema["paths"]["/api/v1/customers/"]["get"]["parameters"]}
    assert {"cursor", "page_size", "search", "type", "kyc_status", "status"} <= listing
    components = schema["components"]["schemas"]
    for name in ("CustomerCreateInputRequest", "PatchedCustomerUpdateInputRequest"):
        assert "kyc_status" not in components[name]["properties"]
    assert components["CustomerOutput"]["properties"]["kyc_status"]["readOnly"] is True
    amount = components["AccountOpenInputRequest"]["properties"]["overdraft_limit"]
    assert amount["type"] == "string"


@pytest.mark.backoffice
def test_the_maker_checker_answers_are_documented():
    paths = _schema()["paths"]

    for path in ("/api/v1/accounts/{account_id}/{action}/", "/api/v1/accounts/{account_id}/close/",
                 "/api/v1/ledger/entries/", "/api/v1/ledger/entries/{entry_id}/reverse/",
                 "/api/v1/limits/rules/", "/api/v1/tariffs/versions/{version_id}/rules/"):
        accepted = paths[path]["post"]["responses"]["202"]
        assert "approval request" in accepted["description"], path
        body = accepted["content"]["application/json"]["schema"]["$ref"]
        assert body.endswith("/PendingApproval"), (path, body)
    assert "202" in paths["/api/v1/limits/rules/{rule_id}/"]["patch"]["responses"]
