"""Addresses holding a NUL character: refused before any view or database sees them.

A NUL (`%00`) in a path or a query string reached the views and the database: PostgreSQL refuses
it in text (a 500), SQLite compares it as any character. No address of Pilotis holds one, so a
path with a NUL answers 404 and a query string with one 400, through Django's handlers (JSON under
/api/, as the API's own answers).
"""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.http import Http404

NUL = "\x00"


MESSAGE = "Un caractère nul (%00) n’est pas accepté dans une adresse."


class NulInQuery(BadRequest):
    """A query string parameter holding a NUL; `parameter` names it."""

    def __init__(self, parameter: str):
        super().__init__(MESSAGE)
        self.parameter = parameter


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if NUL in request.path_info:
            raise Http404("Adresse introuvable.")
        for key, values in request.GET.lists():
            if NUL in key or any(NUL in value for value in values):
                raise NulInQuery(key.replace(NUL, ""))
        return self.get_response(request)
