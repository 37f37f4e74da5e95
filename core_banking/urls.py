"""The engine's own URL conf: its REST API, the admin of its models and the API schema, with no
back-office route. ``api_v1`` is the one list of the engine's routes: the project
(``backoffice/urls.py``) serves it before the back office's; this module serves the engine on its
own (``tests/engine_settings.py``)."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

api_v1 = [
    path("ledger/", include("core_banking.ledger.api.urls")),
    path("", include("core_banking.customers.api.urls")),
    path("", include("core_banking.accounts.api.urls")),
    path("", include("core_banking.payments.api.urls")),
    path("deposits/", include("core_banking.deposits.api.urls")),
    path("loans/", include("core_banking.loans.api.urls")),
    path("", include("core_banking.interest.api.urls")),
    path("eod/", include("core_banking.eod.api.urls")),
    path("events/", include("core_banking.events.api.urls")),
    path("settlement/", include("core_banking.settlement.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
]

# Unknown URLs and crashes under /api/ answer application/problem+json, like the API views.
handler400 = "core_banking.common.api.problems.bad_request"
handler403 = "core_banking.common.api.problems.permission_denied"
handler404 = "core_banking.common.api.problems.page_not_found"
handler500 = "core_banking.common.api.problems.server_error"
