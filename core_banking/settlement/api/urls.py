from django.urls import path

from . import views

app_name = "settlement"
urlpatterns = [
    path("batches/", views.BatchListApi.as_view(), name="batch-list"),
    path("batches/<int:batch_id>/", views.BatchDetailApi.as_view(), name="batch-detail"),
    path("files/<int:file_id>/", views.FileDownloadApi.as_view(), name="file-download"),
]
