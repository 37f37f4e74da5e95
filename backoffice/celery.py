"""The Celery application. Workers: `celery -A backoffice worker`; schedules: `celery -A backoffice beat`."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings.local")

# `backoffice` itself is not an installed app, so autodiscovery (each app's `tasks` module) would
# not find the project-wide tasks: include them by name.
app = Celery("backoffice", include=["backoffice.tasks"])
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _freeze_loaded_objects(**_kwargs) -> None:
    """Each worker process, once forked with the tasks loaded: the loaded application out of the
    garbage collector's walks (``core_banking/common/runtime.py``)."""
    from core_banking.common.runtime import freeze_loaded_objects

    freeze_loaded_objects()
