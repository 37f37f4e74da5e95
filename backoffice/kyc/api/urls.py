"""Mounted under ``/api/v1/kyc/``."""

from django.urls import path

from backoffice.kyc import transitions

from . import views

app_name = "kyc"
urlpatterns = [
    path("applications/", views.KycListCreateApi.as_view(), name="application-list"),
    path("applications/<int:application_id>/", views.KycDetailApi.as_view(), name="application-detail"),
    path("applications/<int:application_id>/documents/", views.KycDocumentUploadApi.as_view(),
         name="application-documents"),
    path("applications/<int:application_id>/documents/<int:document_id>/download/",
         views.KycDocumentDownloadApi.as_view(), name="document-download"),
    path("applications/<int:application_id>/assign/", views.KycAssignApi.as_view(), name="application-assign"),
    *(path(f"applications/<int:application_id>/{spec.slug}/", views.TRANSITION_VIEWS[spec.name].as_view(),
           name=f"application-{spec.slug}")
      for spec in transitions.TRANSITIONS),
]
