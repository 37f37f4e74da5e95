"""Mounted under ``/api/v1/tickets/``."""

from django.urls import path

from backoffice.tickets import transitions

from . import views

app_name = "tickets"
urlpatterns = [
    path("", views.TicketListCreateApi.as_view(), name="ticket-list"),
    path("queue/", views.MyQueueApi.as_view(), name="my-queue"),
    path("teams/<int:team_id>/queue/", views.TeamQueueApi.as_view(), name="team-queue"),
    path("<int:ticket_id>/", views.TicketDetailApi.as_view(), name="ticket-detail"),
    path("<int:ticket_id>/messages/", views.TicketMessageCreateApi.as_view(), name="ticket-messages"),
    path("<int:ticket_id>/assign/", views.TicketAssignApi.as_view(), name="ticket-assign"),
    # One route per action of the transition table (backoffice/tickets/transitions.py), in its order.
    *(path(f"<int:ticket_id>/{spec.name}/", views.TRANSITION_VIEWS[spec.name].as_view(),
           name=f"ticket-{spec.name.replace('_', '-')}")
      for spec in transitions.TRANSITIONS),
]
