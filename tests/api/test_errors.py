"""Every answer under /api/ is JSON with a French message, errors included; the docs need no CDN."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client, RequestFactory

from pilotis.api import errors, read
from tests.api.conftest import Api, World


def _json_error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    return body


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/inexistant",
        "/api/v1/plans/inconnu",
        "/api/v1/plans/inconnu/fiches/1",
        "/api/v1/plans/un%20espace",
        "/api/autre-version/plans",
        "/api/",
    ],
)
def test_not_found_is_json(db, path):
    _json_error(Client().get(path), 404)


def test_unknown_fiche_is_json_404(world: World):
    _json_error(world.api("coordinator").get(f"plans/{world.plan.slug}/fiches/99"), 404)


def test_anonymous_write_is_401(world: World):
    body = _json_error(Api().patch(world.report_url(2), {"version": 1}), 401)
    assert body["detail"].startswith("Authentification requise")


def test_bad_query_parameter_is_400_with_field_names(world: World):
    response = world.api("coordinator").get(f"plans/{world.plan.slug}/fiches?limit=abc&offset=-1")
    body = _json_error(response, 400)
    assert body["errors"] == {
        "limit": ["Nombre entier attendu."],
        "offset": ["Doit être supérieur ou égal à 0."],
    }


def test_missing_body_is_400(world: World):
    response = world.api("caf_pilot").client.patch(
        f"/api/v1/{world.report_url(2)}", headers=world.api("caf_pilot").headers
    )
    body = _json_error(response, 400)
    assert body["errors"] == {
        "__all__": ["Le corps de la requête (un objet JSON) est obligatoire."]
    }


def test_wrong_method_is_json_405(world: World):
    response = world.api("coordinator").post(f"plans/{world.plan.slug}", {})
    body = _json_error(response, 405)
    assert body["detail"] == "Méthode non autorisée pour cette adresse."
    assert response["Allow"] == "GET"
    assert body["allowed_methods"] == ["GET"]


def test_too_large_body_is_413(world: World, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = world.api("caf_pilot").patch(
        world.report_url(2), {"version": 1, "comment": "x" * 2000}
    )
    assert _json_error(response, 413)["detail"] == "Requête trop volumineuse."


def test_server_error_is_json_and_logged(world: World, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("panne simulée")

    monkeypatch.setattr(read, "_plan_summary", broken)
    client = Client(raise_request_exception=False)
    response = client.get(f"/api/v1/plans/{world.plan.slug}", headers=world.api("admin").headers)
    body = _json_error(response, 500)
    assert body == {"detail": "Erreur interne du serveur : l'incident a été enregistré."}
    assert "panne simulée" not in response.content.decode()
    assert any(r.name == "django.request" and r.exc_info for r in caplog.records)


def test_server_error_raised_outside_the_api_views(db):
    """handler500 answers JSON under /api/ and keeps the site's HTML page elsewhere."""
    factory = RequestFactory()
    api_response = errors.server_error(factory.get("/api/v1/plans"))
    assert api_response.status_code == 500
    assert api_response["Content-Type"] == "application/json"
    page = errors.server_error(factory.get("/plans/"))
    assert page.status_code == 500
    assert page["Content-Type"].startswith("text/html")


def test_csrf_refusal_is_json(world: World):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["caf_pilot"])
    response = Api(client=client).patch(world.report_url(2), {"version": 1})
    _json_error(response, 403)


# --- Documentation ------------------------------------------------------------------------------


def test_openapi_schema_documents_every_route(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "API Pilotis"
    paths = schema["paths"]
    assert "/api/v1/plans/{slug}/fiches/{number}" in paths
    patch = paths["/api/v1/plans/{slug}/campaigns/{year}/reports/{number}"]["patch"]
    assert set(patch["responses"]) >= {"200", "400", "401", "403", "404", "409"}
    assert schema["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    for path in paths.values():
        for operation in path.values():
            assert not operation["summary"].isascii() or " " in operation["summary"]


def test_docs_page_uses_only_packaged_assets(db):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/ninja/swagger-ui-bundle.js" in assets
    for asset in assets:
        assert asset.startswith("/static/"), asset  # no CDN
        assert finders.find(asset.removeprefix("/static/")), asset
    assert "/api/v1/openapi.json" in html
