"""The Django project package (settings, urls, Celery app) and the back-office apps."""

from .celery import app as celery_app

__all__ = ["celery_app"]
