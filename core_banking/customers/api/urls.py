from django.urls import path

from . import views

app_name = "customers"
urlpatterns = [
    path("customers/", views.CustomerListCreateApi.as_view(), name="customer-list"),
    path("customers/<int:customer_id>/", views.CustomerDetailApi.as_view(), name="customer-detail"),
    path("customers/<int:customer_id>/status/", views.CustomerStatusApi.as_view(), name="customer-status"),
]
