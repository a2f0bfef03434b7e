"""The API's index (JSON, at /api/v1/) and its documentation page in French, both read from the
OpenAPI schema so that they never disagree with the endpoints."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from pilotis.api.api import DESCRIPTION, api

METHOD_LABELS = {"get": "Lire", "post": "Créer", "patch": "Modifier", "put": "Remplacer"}
LOCATION_LABELS = {"path": "chemin", "query": "paramètre d’adresse", "header": "en-tête"}


def endpoints(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Every operation of an OpenAPI schema, in schema order, as plain rows (pure)."""
    rows = []
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in METHOD_LABELS:
                continue
            rows.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "tag": (operation.get("tags") or ["API"])[0],
                    "id": operation.get("operationId", f"{method}-{path}"),
                    "parameters": [
                        {
                            "name": p["name"],
                            "where": LOCATION_LABELS.get(p.get("in"), p.get("in")),
                            "required": p.get("required", False),
                            "description": p.get("description", ""),
                        }
                        for p in operation.get("parameters", [])
                    ],
                    "statuses": sorted(operation.get("responses", {})),
                }
            )
    return rows


def _schema(request: HttpRequest) -> dict[str, Any]:
    return api.get_openapi_schema(path_prefix=reverse("api-v1:api-root"))


@require_safe
def index(request: HttpRequest) -> JsonResponse:
    """What the API offers, for a program that starts at its root."""
    schema = _schema(request)
    return JsonResponse(
        {
            "name": schema["info"]["title"],
            "version": schema["info"]["version"],
            "documentation": request.build_absolute_uri(reverse("api:docs")),
            "openapi": request.build_absolute_uri(reverse("api-v1:openapi-json")),
            "endpoints": [
                {"method": row["method"], "path": row["path"], "summary": row["summary"]}
                for row in endpoints(schema)
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )


@require_safe
def documentation(request: HttpRequest):
    rows = endpoints(_schema(request))
    groups: dict[str, list] = {}
    for row in rows:
        groups.setdefault(row["tag"], []).append(row)
    context = {
        "title": "Documentation de l’API",
        "intro": DESCRIPTION.strip(),
        "groups": groups,
        "openapi_url": reverse("api-v1:openapi-json"),
        "root_url": reverse("api-v1:api-root"),
        "breadcrumb_data": {"current": "Documentation de l’API"},
    }
    return render(request, "api/docs.html", context)
