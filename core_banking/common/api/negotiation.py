"""Content negotiation: an unknown ``?format=`` is a ``400`` naming the parameter.

DRF answers a ``format`` query parameter that no renderer of the view serves with ``Http404``,
which the problem handler turns into ``404 not_found``: as if the resource were missing, and a
status the OpenAPI document does not give the operation. The formats a view serves are its
documented ``format`` enum (statements: ``json``, ``csv``, ``pdf``); any other value is a
``validation_error`` on ``format``, like any other query parameter out of its range.
"""

from __future__ import annotations

from django.http import Http404
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation


class ContentNegotiation(DefaultContentNegotiation):
    def filter_renderers(self, renderers, format):
        try:
            return super().filter_renderers(renderers, format)
        except Http404 as exc:
            served = sorted({renderer.format for renderer in renderers if renderer.format})
            raise exceptions.ValidationError(
                {self.settings.URL_FORMAT_OVERRIDE or "format": [
                    f"Unknown format {format!r}; this endpoint serves {', '.join(served) or 'none'}."]}
            ) from exc
