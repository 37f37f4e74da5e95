import time

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from core_banking.common.api.throttling import window_keys

from .support import assert_problem, bearer


@pytest.fixture
def fresh_throttle_keys(ledger_client):
    """Only this test's throttle history: delete its keys rather than flushing the cache,
    which may be a Redis database shared with other test runs."""
    now = time.time()
    keys = [key for scope in ("user", "test-burst") for window in (now, now + 60)
            for key in window_keys(f"throttle_{scope}_{ledger_client.user.pk}", window, 60)]
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


def _wrong_secret(token_plain: str) -> str:
    prefix, _, secret = token_plain.partition(".")
    return f"{prefix}.{'x' * len(secret)}"


def test_failed_authentication_is_throttled_per_address(db, settings):
    settings.API_THROTTLE_AUTH_FAILURES = "5/minute"
    address = "203.0.113.77"
    cache.delete_many([f"authfail:addr:{address}:{int(time.time() // 60) + d}" for d in (0, 1)])
    api = APIClient(REMOTE_ADDR=address)
    api.credentials(HTTP_AUTHORIZATION="Bearer cb_nosuch.secretsecretsecret")
    statuses = [api.get("/api/v1/me/").status_code for _ in range(5)]
    refused = api.get("/api/v1/me/")
    assert statuses == [401] * 5
    body = assert_problem(refused, status=429, code="throttled")
    assert int(refused["Retry-After"]) > 0 and "failed authentication" in body["detail"]
    other = APIClient(REMOTE_ADDR="203.0.113.78")
    other.credentials(HTTP_AUTHORIZATION="Bearer cb_other.secretsecretsecret")
    assert other.get("/api/v1/me/").status_code == 401  # another address, another prefix: not throttled


def test_failed_authentication_is_throttled_per_token_prefix(ledger_token, settings):
    settings.API_THROTTLE_AUTH_FAILURES = "3/minute"
    plain = ledger_token
    prefix = plain.partition(".")[0]
    cache.delete_many([f"authfail:prefix:{prefix}:{int(time.time() // 60) + d}" for d in (0, 1)])
    for n in range(3):  # guesses from three addresses
        api = APIClient(REMOTE_ADDR=f"198.51.100.{n + 1}")
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {_wrong_secret(plain)}")
        assert api.get("/api/v1/me/").status_code == 401
    good = APIClient(REMOTE_ADDR="198.51.100.9")
    good.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert_problem(good.get("/api/v1/me/"), status=429, code="throttled")  # the prefix is locked for the window
