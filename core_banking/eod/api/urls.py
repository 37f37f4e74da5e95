from django.urls import path

from . import views

app_name = "eod"
urlpatterns = [
    path("runs/", views.EodRunListStartApi.as_view(), name="run-list"),
    path("runs/<str:business_date>/", views.EodRunDetailApi.as_view(), name="run-detail"),
    path("runs/<str:business_date>/chunks/", views.EodChunkListApi.as_view(), name="run-chunks"),
    path("calendar/", views.EodCalendarApi.as_view(), name="calendar"),
]
