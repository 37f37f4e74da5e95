"""The Celery application. Workers: `celery -A backoffice worker`; schedules: `celery -A backoffice beat`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings.local")

# `backoffice` itself is not an installed app, so autodiscovery (each app's `tasks` module) would
# not find the project-wide tasks: include them by name.
app = Celery("backoffice", include=["backoffice.tasks"])
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
