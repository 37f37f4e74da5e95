"""Liveness and readiness probes for load balancers and orchestrators (JSON, no auth)."""

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request):
    """The process is alive and serving requests."""
    return JsonResponse({"status": "ok"})


def _check_database() -> dict:
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    if plan:
        pending = [f"{m.app_label}.{m.name}" for m, _backwards in plan]
        return {"ok": False, "error": "unapplied migrations", "pending": pending}
    return {"ok": True, "vendor": connection.vendor}


def _check_broker() -> dict:
    if not settings.CELERY_BROKER_URL:
        return {"ok": True, "mode": "eager (no broker configured)"}
    from backoffice.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"ok": True, "mode": "broker"}


@never_cache
@require_GET
def readyz(request):
    """Ready to take traffic: database reachable and migrated, broker reachable if configured."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    ready = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status=200 if ready else 503,
    )
