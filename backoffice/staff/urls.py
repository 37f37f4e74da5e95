from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .pages import customer, dashboard, queues, search, tickets, transactions

app_name = "staff"
urlpatterns = [
    path("", views.home_view, name="home"),
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.verify_view, name="verify"),
    path("login/enrol/", views.enrol_view, name="enrol"),
    path("logout/", auth_views.LogoutView.as_view(next_page="staff:login"), name="logout"),
    # The daily-work pages (issue 9; docs/staff-pages.md).
    path("search/", search.search_view, name="search"),
    path("customers/<int:customer_id>/", customer.customer_view, name="customer"),
    path("customers/<int:customer_id>/do/<str:action>/", customer.customer_action_view, name="customer-action"),
    path("payments/", transactions.transactions_view, name="transactions"),
    path("payments/<int:payment_id>/", transactions.payment_view, name="payment"),
    path("queues/", queues.queues_view, name="queues"),
    path("tickets/<int:ticket_id>/", tickets.ticket_view, name="ticket"),
    path("tickets/<int:ticket_id>/do/<str:action>/", tickets.ticket_action_view, name="ticket-action"),
    path("kyc/<int:application_id>/", queues.kyc_application_view, name="kyc-application"),
    path("kyc/<int:application_id>/do/", queues.kyc_action_view, name="kyc-action"),
    path("approvals/<int:request_id>/", queues.approval_view, name="approval"),
    path("approvals/<int:request_id>/do/", queues.approval_action_view, name="approval-action"),
    path("dashboard/", dashboard.dashboard_view, name="dashboard"),
    path("dashboard/eod/", dashboard.eod_panel_view, name="dashboard-eod"),
]
