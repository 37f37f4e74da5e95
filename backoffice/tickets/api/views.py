"""Support tickets over REST (scope ``tickets``).

Reading needs ``tickets.view_ticket``; opening a ticket ``tickets.add_ticket``; every workflow
action (assign, transitions, messages) ``tickets.work_ticket`` at the door, and then the service
decides on the ticket itself: a support agent acts only on tickets assigned to them or their team
(``not_assignee``), supervisors (``tickets.manage_ticket``) on any ticket. Refusals are
``application/problem+json``: ``not_assignee``, ``transition_not_allowed``, ``reason_required``,
``invalid_ticket_link``, ``sla_not_configured``, ``invalid_assignee``, ``ticket_inactive``,
``not_team_member``, ``ticket_not_found``, ``permission_denied``.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.tickets import selectors, services, transitions
from core_banking.common.api.pagination import DefaultCursorPagination, paginated_response
from core_banking.common.api.permissions import HasScope, RequiresPermissions
from core_banking.common.api.problems import PROBLEM_CONTENT_TYPE
from core_banking.common.api.schema import ProblemSerializer, path_id, problem_responses
from core_banking.common.visibility import ScopedObjectsMixin, client_scope
from core_banking.customers import selectors as customer_selectors

from . import serializers as s

VIEW = "tickets.view_ticket"
ADD = "tickets.add_ticket"
WORK = "tickets.work_ticket"
TICKETS = "Tickets"

REFUSED = {
    (403, PROBLEM_CONTENT_TYPE): OpenApiResponse(
        ProblemSerializer, description="`permission_denied` (role or scope), `not_assignee` (the ticket is neither "
        "yours nor your team's), `not_team_member`."),
}



def ticket_detail(ticket_id: int, user) -> dict:
    ticket = selectors.ticket_get(ticket_id)
    history = ticket.status_changes.select_related("actor").order_by("id")
    data = s.TicketOutputSerializer(ticket).data
    data.update({
        "description": ticket.description, "status_reason": ticket.status_reason,
        "messages": s.TicketMessageOutputSerializer(selectors.ticket_messages(ticket, user), many=True).data,
        "history": s.TicketHistoryOutputSerializer(history, many=True).data,
        "available_transitions": selectors.available_transitions(ticket, user),
    })
    return data


def _ticket_visible(ticket_id, *, visible_to):
    selectors.ticket_get(ticket_id, visible_to=visible_to)


class TicketsApi(ScopedObjectsMixin, APIView):
    # A ticket in the URL is one the caller may see (client isolation), else 404.
    scoped_lookups = {"ticket_id": _ticket_visible}
    required_scopes = ["tickets"]
    permission_classes = [IsAuthenticated, HasScope, RequiresPermissions]
    required_perms: dict[str, list[str]] = {}
    parser_classes = [JSONParser]


class TicketCursor(DefaultCursorPagination):
    ordering = ("-id",)


class TicketListCreateApi(TicketsApi):
    required_perms = {"GET": [VIEW], "POST": [VIEW, ADD]}
    pagination_class = TicketCursor

    @extend_schema(operation_id="tickets_list", tags=[TICKETS], summary="Find tickets",
                   description="Newest first; filter by status, priority, category code, customer, account, "
                   "payment, assignee, team, unassigned, SLA breached.",
                   parameters=[s.TicketFilterSerializer],
                   responses={200: s.TicketOutputSerializer(many=True), **problem_responses(400, 401, 403)})
    def get(self, request):
        serializer = s.TicketFilterSerializer(data=request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        f = serializer.validated_data
        tickets = selectors.ticket_search(
            status=f.get("status", ""), priority=f.get("priority", ""), category=f.get("category", ""),
            customer_id=f.get("customer"), account_id=f.get("account"), payment_id=f.get("payment"),
            assignee_id=f.get("assignee"), team_id=f.get("team"), unassigned=f.get("unassigned"),
            breached=f.get("breached"), visible_to=client_scope(request.user),
        )
        return paginated_response(serializer_class=s.TicketOutputSerializer, queryset=tickets, request=request,
                                  view=self)

    @extend_schema(operation_id="tickets_create", tags=[TICKETS], summary="Open a ticket",
                   description="About a customer and optionally one of their accounts, payments or ledger entries "
                   "(`invalid_ticket_link` otherwise); the SLA due times come from the category's SLA for the "
                   "priority (`sla_not_configured`).",
                   request=s.TicketCreateSerializer,
                   responses={201: s.TicketDetailSerializer, **problem_responses(400, 401, 403, 404)})
    def post(self, request):
        serializer = s.TicketCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer_selectors.customer_get(customer_id=serializer.validated_data["customer"],
                                        visible_to=client_scope(request.user))
        ticket = services.ticket_create(actor=request.user, **serializer.to_service())
        return Response(ticket_detail(ticket.pk, request.user), status=201)


class TicketDetailApi(TicketsApi):
    required_perms = {"GET": [VIEW]}

    @extend_schema(operation_id="tickets_retrieve", tags=[TICKETS],
                   summary="A ticket with its messages, history and the transitions you may fire",
                   parameters=[path_id("ticket_id")],
                   responses={200: s.TicketDetailSerializer, **problem_responses(401, 403, 404)})
    def get(self, request, ticket_id: int):
        return Response(ticket_detail(ticket_id, request.user))


class TicketMessageCreateApi(TicketsApi):
    required_perms = {"POST": [VIEW, WORK]}

    @extend_schema(operation_id="tickets_messages_create", tags=[TICKETS],
                   summary="Add an internal note or a customer-visible reply",
                   description="The first customer reply meets the response SLA. Closed tickets take no messages "
                   "(`ticket_inactive`).",
                   parameters=[path_id("ticket_id")], request=s.TicketMessageInputSerializer,
                   responses={201: s.TicketMessageOutputSerializer, **problem_responses(400, 401, 404, 409), **REFUSED})
    def post(self, request, ticket_id: int):
        serializer = s.TicketMessageInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = services.message_post(ticket_id=ticket_id, actor=request.user, **serializer.validated_data)
        return Response(s.TicketMessageOutputSerializer(message).data, status=201)


class TicketAssignApi(TicketsApi):
    required_perms = {"POST": [VIEW, WORK]}

    @extend_schema(operation_id="tickets_assign", tags=[TICKETS], summary="Assign a ticket to an agent and/or team",
                   description="Supervisors (`tickets.manage_ticket`) assign and reassign; an agent may only claim "
                   "an unassigned ticket of their team (assignee = themselves).",
                   parameters=[path_id("ticket_id")], request=s.TicketAssignSerializer,
                   responses={200: s.TicketDetailSerializer, **problem_responses(400, 401, 404, 409), **REFUSED})
    def post(self, request, ticket_id: int):
        serializer = s.TicketAssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.ticket_assign(ticket_id=ticket_id, actor=request.user, **serializer.to_service())
        return Response(ticket_detail(ticket_id, request.user))


def _transition_schema(spec: transitions.TicketTransition):
    """The schema of a transition's route, from the transition table."""
    return extend_schema(
        operation_id=f"tickets_{spec.name}", tags=[TICKETS], summary=spec.label,
        description="`reason` is required to reopen, and to close a ticket that was not resolved "
        "(`reason_required`). `transition_not_allowed` from a state that does not allow it.",
        parameters=[path_id("ticket_id")], request=s.TicketReasonSerializer,
        responses={200: s.TicketDetailSerializer, **problem_responses(400, 401, 404, 409), **REFUSED},
    )


# ``POST /tickets/{id}/<name>/`` of an action of the transition table
# (``backoffice/tickets/transitions.py``): one view class per action, each its own URL; the service
# decides on the ticket itself. (No docstring: the schema would take it as the description.)
class TicketTransitionApi(TicketsApi):
    required_perms = {"POST": [VIEW, WORK]}
    transition: transitions.TicketTransition

    def post(self, request, ticket_id: int):
        serializer = s.TicketReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.ticket_transition(ticket_id=ticket_id, action=self.transition.name, actor=request.user,
                                   reason=serializer.validated_data["reason"])
        return Response(ticket_detail(ticket_id, request.user))


@extend_schema_view(post=_transition_schema(transitions.BY_NAME["open"]))
class TicketOpenApi(TicketTransitionApi):
    transition = transitions.BY_NAME["open"]


@extend_schema_view(post=_transition_schema(transitions.BY_NAME["wait_on_customer"]))
class TicketWaitOnCustomerApi(TicketTransitionApi):
    transition = transitions.BY_NAME["wait_on_customer"]


@extend_schema_view(post=_transition_schema(transitions.BY_NAME["resume"]))
class TicketResumeApi(TicketTransitionApi):
    transition = transitions.BY_NAME["resume"]


@extend_schema_view(post=_transition_schema(transitions.BY_NAME["resolve"]))
class TicketResolveApi(TicketTransitionApi):
    transition = transitions.BY_NAME["resolve"]


@extend_schema_view(post=_transition_schema(transitions.BY_NAME["close"]))
class TicketCloseApi(TicketTransitionApi):
    transition = transitions.BY_NAME["close"]


@extend_schema_view(post=_transition_schema(transitions.BY_NAME["reopen"]))
class TicketReopenApi(TicketTransitionApi):
    transition = transitions.BY_NAME["reopen"]


#: The view of each action of the transition table, in its order (``api/urls.py`` routes them).
TRANSITION_VIEWS: dict[str, type[TicketTransitionApi]] = {view.transition.name: view for view in (
    TicketOpenApi, TicketWaitOnCustomerApi, TicketResumeApi, TicketResolveApi, TicketCloseApi, TicketReopenApi)}


class MyQueueApi(TicketsApi):
    required_perms = {"GET": [VIEW]}

    @extend_schema(operation_id="tickets_my_queue", tags=[TICKETS], summary="My queue",
                   description="Active tickets assigned to me, then my teams' unassigned ones, each by next SLA due "
                   "time (the response due time until the first reply, then the resolution's). At most `limit`.",
                   parameters=[s.TicketQueueFilterSerializer],
                   responses={200: s.TicketOutputSerializer(many=True), **problem_responses(400, 401, 403)})
    def get(self, request):
        serializer = s.TicketQueueFilterSerializer(data=request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        tickets = selectors.queue_for_user(request.user)
        if (scope := client_scope(request.user)) is not None:
            tickets = tickets.filter(selectors.visible_tickets_q(scope))
        tickets = tickets[:serializer.validated_data["limit"]]
        return Response(s.TicketOutputSerializer(tickets, many=True).data)


class TeamQueueApi(TicketsApi):
    required_perms = {"GET": [VIEW]}

    @extend_schema(operation_id="tickets_team_queue", tags=[TICKETS], summary="A team's queue",
                   description="The team's active tickets by next SLA due time; for its members and supervisors "
                   "(`not_team_member`). At most `limit`.",
                   parameters=[path_id("team_id"), s.TicketQueueFilterSerializer],
                   responses={200: s.TicketOutputSerializer(many=True), **problem_responses(400, 401, 404),
                              **REFUSED})
    def get(self, request, team_id: int):
        serializer = s.TicketQueueFilterSerializer(data=request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        tickets = selectors.team_queue_for(team_id=team_id, user=request.user)
        if (scope := client_scope(request.user)) is not None:
            tickets = tickets.filter(selectors.visible_tickets_q(scope))
        tickets = tickets[:serializer.validated_data["limit"]]
        return Response(s.TicketOutputSerializer(tickets, many=True).data)
