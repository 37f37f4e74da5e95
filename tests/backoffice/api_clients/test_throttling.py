import pytest
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle

from .support import assert_problem, bearer


@pytest.fixture
def fresh_throttle_keys(ledger_client):
    """Only this test's throttle history: delete its keys rather than flushing the cache,
    which may be a Redis database shared with other test runs."""
    keys = [f"throttle_{scope}_{ledger_client.user.pk}" for scope in ("user", "test-burst")]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)


@pytest.mark.urls("tests.backoffice.api_clients.urls")
def test_a_view_throttle_answers_429_problem_with_retry_after(ledger_token, fresh_throttle_keys):
    api = bearer(ledger_token)

    statuses = [api.get("/throttled/").status_code for _ in range(2)]
    refused = api.get("/throttled/")

    assert statuses == [200, 200]
    body = assert_problem(refused, status=429, code="throttled")
    assert int(refused["Retry-After"]) > 0
    assert "throttled" in body["detail"].lower()


def test_the_default_user_throttle_answers_429_problem(ledger_token, fresh_throttle_keys, monkeypatch):
    # DRF reads DEFAULT_THROTTLE_RATES once, at import: patch the class attribute instead.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "3/minute", "anon": "3/minute"})
    api = bearer(ledger_token)

    statuses = [api.get("/api/v1/me/").status_code for _ in range(3)]
    refused = api.get("/api/v1/me/")

    assert statuses == [200, 200, 200]
    assert_problem(refused, status=429, code="throttled")
    assert int(refused["Retry-After"]) > 0
