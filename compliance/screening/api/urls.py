from django.urls import path

from . import views

app_name = "screening"
urlpatterns = [
    path("lists/", views.WatchListListApi.as_view(), name="list-list"),
    path("lists/<str:code>/versions/", views.ListVersionListUploadApi.as_view(), name="version-list"),
    path("screen/", views.ScreenApi.as_view(), name="screen"),
    path("hits/", views.HitListApi.as_view(), name="hit-list"),
    path("hits/<int:hit_id>/", views.HitDetailApi.as_view(), name="hit-detail"),
    path("hits/<int:hit_id>/decide/", views.HitDecideApi.as_view(), name="hit-decide"),
]
