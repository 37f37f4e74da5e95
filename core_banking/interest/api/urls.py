from django.urls import path

from . import views

app_name = "interest"
urlpatterns = [
    path("interest/schedules/", views.ScheduleListApi.as_view(), name="schedule-list"),
    path("interest/schedules/<int:schedule_id>/", views.ScheduleDetailApi.as_view(), name="schedule-detail"),
    path("interest/schedules/<int:schedule_id>/rates/", views.RateVersionCreateApi.as_view(),
         name="schedule-rates"),
    path("accounts/<int:account_id>/interest/", views.AccountInterestApi.as_view(), name="account-interest"),
]
