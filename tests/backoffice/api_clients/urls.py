"""Test-only views for the permission, audit-context and throttling tests
(`@pytest.mark.urls("tests.backoffice.api_clients.urls")`), next to the project's URLs."""

from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.urls import urlpatterns as project_urlpatterns
from core_banking.audit.context import current
from core_banking.common.api.permissions import HasScope, RequiresPermissions, require_perms
from core_banking.common.api.throttling import UserRateThrottle


class LedgerScopedView(APIView):
    required_scopes = ["ledger"]  # default permission classes: IsAuthenticated + HasScope

    def get(self, request):
        return Response({"ok": True})


class TwoScopesView(APIView):
    required_scopes = ["ledger", "payments"]

    def get(self, request):
        return Response({"ok": True})


class PostEntryView(APIView):
    required_scopes = ["ledger"]
    permission_classes = [IsAuthenticated, HasScope, require_perms("api_clients.view_apitoken")]

    def post(self, request):
        return Response({"posted": True})


class PerMethodView(APIView):
    permission_classes = [IsAuthenticated, HasScope, RequiresPermissions]
    required_perms = {
        "GET": ["api_clients.view_apiclient"],
        "POST": ["api_clients.add_apiclient"],
    }

    def get(self, request):
        return Response({"method": "GET"})

    def post(self, request):
        return Response({"method": "POST"})

    def put(self, request):  # implemented, but no permission declared for it
        return Response({"method": "PUT"})


class ActorView(APIView):
    def get(self, request):
        ctx = current()
        return Response({"actor_id": ctx.actor_id, "actor_repr": ctx.actor_repr})


class BurstThrottle(UserRateThrottle):
    scope = "test-burst"
    rate = "2/minute"


class ThrottledView(APIView):
    throttle_classes = [BurstThrottle]

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("scoped/", LedgerScopedView.as_view()),
    path("two-scopes/", TwoScopesView.as_view()),
    path("post-entry/", PostEntryView.as_view()),
    path("per-method/", PerMethodView.as_view()),
    path("actor/", ActorView.as_view()),
    path("throttled/", ThrottledView.as_view()),
    # The project's own URLs too: middleware reverses some of them (admin, staff pages).
    *project_urlpatterns,
]
