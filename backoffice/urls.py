from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic.base import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from backoffice import health
from core_banking.urls import api_v1 as engine_api_v1

api_v1 = [
    # The engine's routes (core_banking/urls.py, the one list of them), then the back office's.
    *engine_api_v1,
    path("tariffs/", include("backoffice.tariffs.api.urls")),
    path("limits/", include("backoffice.limits.api.urls")),
    path("tickets/", include("backoffice.tickets.api.urls")),
    path("kyc/", include("backoffice.kyc.api.urls")),
    path("approvals/", include("backoffice.approvals.api.urls")),
    path("reconciliation/", include("reconciliation.api.urls")),
    path("compliance/monitoring/", include("compliance.monitoring.api.urls")),
    path("compliance/screening/", include("compliance.screening.api.urls")),
    path("", include("backoffice.api_clients.api.urls")),
    path("compliance/", include("compliance.cases.api.urls")),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("favicon.ico", RedirectView.as_view(url=static("favicon.ico"), permanent=True)),
    path("admin/", admin.site.urls),
    path("staff/compliance/", include("compliance.cases.staff.urls")),
    path("staff/reconciliation/", include("reconciliation.staff.urls")),
    path("staff/", include("backoffice.staff.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]

# Unknown URLs and crashes under /api/ answer application/problem+json, like the API views.
handler400 = "core_banking.common.api.problems.bad_request"
handler403 = "core_banking.common.api.problems.permission_denied"
handler404 = "core_banking.common.api.problems.page_not_found"
handler500 = "core_banking.common.api.problems.server_error"
