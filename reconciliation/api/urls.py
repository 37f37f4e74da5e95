from django.urls import path

from reconciliation.transitions import INVESTIGATE, RESOLVE, WRITE_OFF

from . import views

app_name = "reconciliation"
urlpatterns = [
    path("statements/", views.StatementListApi.as_view(), name="statement-list"),
    path("statements/<int:statement_id>/", views.StatementDetailApi.as_view(), name="statement-detail"),
    path("statements/<int:statement_id>/lines/", views.StatementLinesApi.as_view(), name="statement-lines"),
    path("matches/", views.MatchListApi.as_view(), name="match-list"),
    path("matches/<int:match_id>/unmatch/", views.MatchUnmatchApi.as_view(), name="match-unmatch"),
    path("matches/<int:match_id>/confirm/", views.MatchConfirmApi.as_view(), name="match-confirm"),
    path("breaks/", views.BreakListApi.as_view(), name="break-list"),
    path("breaks/ageing/", views.BreakAgeingApi.as_view(), name="break-ageing"),
    path("breaks/<int:break_id>/", views.BreakDetailApi.as_view(), name="break-detail"),
    path("breaks/<int:break_id>/assign/", views.BreakAssignApi.as_view(), name="break-assign"),
    # The break's transitions (reconciliation/transitions.py): investigate, write-off, resolve.
    path(f"breaks/<int:break_id>/{INVESTIGATE.slug}/", views.BreakInvestigateApi.as_view(),
         name=f"break-{INVESTIGATE.slug}"),
    path(f"breaks/<int:break_id>/{WRITE_OFF.slug}/", views.BreakWriteOffApi.as_view(), name=f"break-{WRITE_OFF.slug}"),
    path(f"breaks/<int:break_id>/{RESOLVE.slug}/", views.BreakResolveApi.as_view(), name=f"break-{RESOLVE.slug}"),
    path("safeguarding/", views.SafeguardingListApi.as_view(), name="safeguarding-list"),
    path("safeguarding/export.csv", views.SafeguardingExportApi.as_view(), name="safeguarding-export"),
]
