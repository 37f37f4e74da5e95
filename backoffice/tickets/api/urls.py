"""Mounted under ``/api/v1/tickets/``."""

from django.urls import path

from . import views

app_name = "tickets"
urlpatterns = [
    path("", views.TicketListCreateApi.as_view(), name="ticket-list"),
    path("queue/", views.MyQueueApi.as_view(), name="my-queue"),
    path("teams/<int:team_id>/queue/", views.TeamQueueApi.as_view(), name="team-queue"),
    path("<int:ticket_id>/", views.TicketDetailApi.as_view(), name="ticket-detail"),
    path("<int:ticket_id>/messages/", views.TicketMessageCreateApi.as_view(), name="ticket-messages"),
    path("<int:ticket_id>/assign/", views.TicketAssignApi.as_view(), name="ticket-assign"),
    *(path(f"<int:ticket_id>/{action}/", view.as_view(), name=f"ticket-{action.replace('_', '-')}")
      for action, view in views.TRANSITION_VIEWS.items()),
]
