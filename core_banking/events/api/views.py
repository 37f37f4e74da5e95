"""The event feed over REST: ``GET /api/v1/events/?after=<cursor>`` serves the outbox in commit-safe
order (``selectors.event_feed``), for clients that prefer to pull rather than receive webhooks.

Each answer has the events after the cursor (oldest first, at most ``limit``) and ``next``, the
cursor to poll with. An event is never served before every transaction older than it has ended,
so a client that always passes the last ``next`` sees every event exactly once, in order.

Authorisation: the ``events`` scope and ``events.view_event``; a partner's token sees only events
about its own customers, accounts and payments (client isolation). Refusals are problem+json:
``invalid_cursor`` and ``validation_error`` (400), ``permission_denied`` (403).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core_banking.common.api.permissions import HasScope, RequiresPermissions
from core_banking.common.api.schema import problem_responses
from core_banking.common.visibility import client_scope

from .. import selectors
from ..roles import VIEW
from . import serializers as s


class EventFeedApi(APIView):
    required_scopes = ["events"]
    permission_classes = [IsAuthenticated, HasScope, RequiresPermissions]
    required_perms = {"GET": [VIEW]}

    @extend_schema(
        operation_id="events_feed", tags=["Events"], summary="The domain events after a cursor",
        description="Oldest first, at most `limit`; poll again with `next`. Every event is served exactly once, "
        "in commit order, to a client that always passes the last `next` (docs/events.md: types, payloads, "
        "versions). A partner's token sees only events about its own customers, accounts and payments.",
        parameters=[s.EventFeedFilterSerializer,
                    OpenApiParameter("type", str, many=True, enum=sorted(s.EVENT_TYPES),
                                     description="Only these event types (repeat the parameter).")],
        responses={200: s.EventFeedSerializer, **problem_responses(400, 401, 403)},
    )
    def get(self, request):
        params = s.EventFeedFilterSerializer(data={
            **request.query_params.dict(), "type": request.query_params.getlist("type")})
        params.is_valid(raise_exception=True)
        f = params.validated_data
        after = selectors.cursor_parse(f["after"])
        events = selectors.event_feed(after=after, types=sorted(f.get("type") or []),
                                      visible_to=client_scope(request.user), limit=f["limit"])
        next_cursor = str(selectors.cursor_of(events[-1])) if events else str(after)
        return Response({"events": s.EventSerializer(events, many=True).data, "next": next_cursor})
