import re

from django.contrib.staticfiles import finders
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient


def test_schema_is_a_valid_openapi_document_with_bearer_auth(db):
    response = APIClient().get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"
    assert "/api/v1/me/" in schema["paths"]
    issue = schema["paths"]["/api/v1/api-clients/{client_id}/tokens/"]["post"]
    assert "application/problem+json" in issue["responses"]["404"]["content"]


def test_api_client_views_generate_without_warnings():
    patterns = [path("api/v1/", include("backoffice.api_clients.api.urls"))]
    GENERATOR_STATS.reset()

    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)

    assert not GENERATOR_STATS._warn_cache, dict(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, dict(GENERATOR_STATS._error_cache)
    assert set(schema["paths"]) == {
        "/api/v1/me/",
        "/api/v1/api-clients/",
        "/api/v1/api-clients/{client_id}/",
        "/api/v1/api-clients/{client_id}/tokens/",
        "/api/v1/api-tokens/{prefix}/revoke/",
    }
    listing = schema["paths"]["/api/v1/api-clients/"]["get"]
    parameters = {p["name"] for p in listing["parameters"]}
    assert {"cursor", "page_size"} <= parameters


def test_docs_page_uses_only_local_assets(db):
    response = APIClient().get("/api/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "cdn" not in page.lower()
    sources = re.findall(r"""<(?:script|link)[^>]+(?:src|href)=["']([^"']+)""", page)
    assert sources, page
    for source in sources:
        assert not source.startswith(("http:", "https:", "//")), source
        assert source.startswith("/static/drf_spectacular_sidecar/"), source
        assert finders.find(source.removeprefix("/static/")), f"{source} is not a static file"
