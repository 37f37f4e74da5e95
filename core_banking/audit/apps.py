from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "core_banking.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        from . import receivers, tracking

        receivers.connect()
        # `last_login` changes on every login, which the "auth.login" event already records.
        tracking.track(get_user_model(), exclude=("password",), ignore=("last_login",))
        tracking.track(Group)
        tracking.track_from_settings(getattr(settings, "AUDIT_TRACKED_MODELS", []))
