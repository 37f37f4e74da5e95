"""The generated OpenAPI document, for tests that check an answer against what it documents
(the fuzz run's checks, one finding at a time: tests/fuzz)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def openapi_schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def operation(method: str, path: str) -> dict:
    return openapi_schema()["paths"][path][method.lower()]


def assert_documented(response, method: str, path: str) -> None:
    """The answer's status code and Content-Type are among those the operation documents."""
    responses = operation(method, path)["responses"]
    status = str(response.status_code)
    assert status in responses, f"{method} {path}: {status} is not documented ({', '.join(responses)})"
    content_type = response["Content-Type"].split(";")[0].strip()
    documented = responses[status].get("content", {})
    assert content_type in documented, f"{method} {path} {status}: {content_type} is not one of {list(documented)}"
