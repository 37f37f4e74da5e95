"""Helpers shared by the API-client tests."""

from rest_framework.test import APIClient

PROBLEM = "application/problem+json"


def bearer(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def assert_problem(response, *, status: int, code: str) -> dict:
    """The response is an RFC 9457 problem document with our stable code."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM), response["Content-Type"]
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["title"]
    assert body["detail"]
    return body
