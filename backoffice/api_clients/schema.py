"""OpenAPI description of the bearer-token scheme (registered on import, see apps.py)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

import core_banking.common.api.schema  # noqa: F401 - registers the session-subclass scheme


class ApiTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "backoffice.api_clients.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "<prefix>.<secret>",
            "description": "An API client token, sent as `Authorization: Bearer <token>` "
            "(`Authorization: Token <token>` is accepted too). Issue one with "
            "`manage.py create_api_client` or `manage.py issue_api_token`.",
        }
