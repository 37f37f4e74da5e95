from django.urls import path

from . import views

app_name = "compliance_monitoring"
urlpatterns = [
    path("rules/", views.RuleListApi.as_view(), name="rule-list"),
    path("rules/<int:rule_id>/", views.RuleDetailApi.as_view(), name="rule-detail"),
    path("rules/<int:rule_id>/versions/", views.RuleVersionCreateApi.as_view(), name="rule-versions"),
    path("rules/<int:rule_id>/activate/", views.RuleActivateApi.as_view(), name="rule-activate"),
    path("rules/<int:rule_id>/deactivate/", views.RuleDeactivateApi.as_view(), name="rule-deactivate"),
]
