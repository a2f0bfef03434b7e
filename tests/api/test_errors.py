"""Every answer under /api/ is JSON with a French message, errors included; the docs need no CDN."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from django.test import Client, RequestFactory

from pilotis import urls
from pilotis.api import errors, read
from tests.api.conftest import Api, World


def _json_error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
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


# --- Bad requests of every kind: a JSON 4xx, never an HTML page, never a 5xx -------------------


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "session"])
def test_write_to_unknown_address_is_json_404_without_csrf_token(world: World, method, signed_in):
    """The catch-all changes nothing: it answers 404 before any CSRF or authentication check."""
    client = Client(enforce_csrf_checks=True)
    if signed_in:
        client.force_login(world.users["caf_pilot"])
    for path in ("/api/v1/inexistant", "/api/v2/plans", f"/api/v1/plans/{world.plan.slug}/x/y"):
        call = getattr(client, method)
        response = call(path, data='{"a": 1}', content_type="application/json")
        body = _json_error(response, 404)
        assert body["detail"] == "Aucun point d'accès de l'API à cette adresse."


def test_csrf_failure_view_is_json_under_api_only(db):
    factory = RequestFactory()
    response = errors.csrf_failure(factory.post("/api/v1/plans"), reason="CSRF cookie not set.")
    body = _json_error(response, 403)
    assert "CSRF" in body["detail"]
    page = errors.csrf_failure(factory.post("/connexion/"), reason="CSRF cookie not set.")
    assert page.status_code == 403
    assert page["Content-Type"].startswith("text/html")


def test_site_form_without_csrf_token_keeps_the_html_page(db):
    response = Client(enforce_csrf_checks=True).post("/admin/logout/")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("handler", "status", "exception"),
    [
        (errors.bad_request, 400, ValueError("x")),
        (errors.bad_request, 413, RequestDataTooBig("x")),
        (errors.permission_denied, 403, PermissionDenied("x")),
        (errors.page_not_found, 404, Http404("x")),
    ],
)
def test_django_error_handlers_are_json_under_api(db, handler, status, exception):
    factory = RequestFactory()
    _json_error(handler(factory.get("/api/v1/plans"), exception), status)
    request = factory.get("/plans/")
    request.user = AnonymousUser()
    page = handler(request, exception)
    assert page["Content-Type"].startswith("text/html")


def test_handlers_are_installed():
    assert urls.handler400 == "pilotis.api.errors.bad_request"
    assert urls.handler403 == "pilotis.api.errors.permission_denied"
    assert urls.handler404 == "pilotis.api.errors.page_not_found"
    assert settings.CSRF_FAILURE_VIEW == "pilotis.api.errors.csrf_failure"


@pytest.mark.parametrize("method", ["put", "delete", "post"])
def test_wrong_method_on_a_write_route_is_json_405(world: World, method):
    api = world.api("caf_pilot")
    call = getattr(api.client, method)
    response = call(f"/api/v1/{world.report_url(2)}", headers=api.headers)
    body = _json_error(response, 405)
    assert set(body["allowed_methods"]) == {"GET", "PATCH"}


@pytest.mark.parametrize(
    "authorization",
    ["Bearer inconnu", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer\x00", "Bearer " + "a" * 5000],
)
def test_bad_authorization_header_is_json_401(world: World, authorization):
    response = Client().get(
        f"/api/v1/plans/{world.plan.slug}", headers={"Authorization": authorization}
    )
    _json_error(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    "body",
    ["{", '{"version": 1,}', "nul", "[1, 2", '"texte"', "[]", "null", "1e999999", "\ufeff{}"],
)
def test_malformed_or_wrong_json_body_is_400(world: World, body):
    api = world.api("caf_pilot")
    response = api.client.patch(
        f"/api/v1/{world.report_url(2)}",
        data=body.encode(),
        content_type="application/json",
        headers=api.headers,
    )
    body = _json_error(response, 400)
    assert body["errors"], body  # the shape of every 400 (found by the fuzz run)


def test_body_not_utf8_is_400(world: World):
    api = world.api("caf_pilot")
    response = api.client.patch(
        f"/api/v1/{world.report_url(2)}",
        data=b'{"comment": "\xff\xfe"}',
        content_type="application/json",
        headers=api.headers,
    )
    _json_error(response, 400)


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("text/plain", '{"version": 1}'),
        ("application/x-www-form-urlencoded", "version=1&comment=x"),
        ("multipart/form-data; boundary=xyz", "--xyz--"),
        ("multipart/form-data", "sans frontière"),
        ("application/xml", "<version>1</version>"),
    ],
)
def test_wrong_content_type_is_json_415(world: World, content_type, data):
    api = world.api("caf_pilot")
    response = api.client.patch(
        f"/api/v1/{world.report_url(2)}",
        data=data,
        content_type=content_type,
        headers=api.headers,
    )
    body = _json_error(response, 415)
    assert body["detail"] == (
        "Le corps de la requête doit être du JSON (Content-Type: application/json)."
    )


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "application/merge-patch+json"]
)
def test_json_content_types_are_accepted(world: World, content_type):
    api = world.api("caf_pilot")
    response = api.client.patch(
        f"/api/v1/{world.report_url(2)}",
        data='{"version": 1, "comment": "ok"}',
        content_type=content_type,
        headers=api.headers,
    )
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "query",
    [
        "limit=-1",
        "limit=0",
        "limit=201",
        "offset=abc",
        "offset=-1",
        f"limit={10**30}",
        f"offset={10**30}",
        "limit=1.5",
        "limit=",
        "limit=1e3",
        "limit=%00",
        "q=%00",
        "q=" + "a" * 5000,
        "section=" + "s" * 500,
        "organisation=pas%20une%20cl%C3%A9",
        "organisation=%F0%9F%98%80",
    ],
)
def test_odd_query_parameters_are_json_400(world: World, query):
    response = world.api("coordinator").get(f"plans/{world.plan.slug}/fiches?{query}")
    body = _json_error(response, 400)
    assert body["errors"]


@pytest.mark.parametrize(
    "query",
    ["limit=1&limit=abc", "inconnu=1", "q=%C3%A9t%C3%A9", "q=%ff", "offset=1000000", "q=%25_"],
)
def test_odd_but_harmless_query_parameters_are_answered(world: World, query):
    response = world.api("coordinator").get(f"plans/{world.plan.slug}/fiches?{query}")
    assert response.status_code in {200, 400}, response.content
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    "path",
    [
        f"campaigns/{10**30}/reports/2",
        "campaigns/0/reports/2",
        "campaigns/abc/reports/2",
        "campaigns/2/reports/" + "9" * 50,
        "campaigns/2/reports/%00",
    ],
)
def test_odd_path_parameters_are_json_4xx(world: World, path):
    response = world.api("caf_pilot").get(f"plans/{world.plan.slug}/{path}")
    assert response.status_code in {400, 404}, response.content
    _json_error(response, response.status_code)


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
    # Reads are open to anonymous callers (the empty requirement); the write is not.
    assert paths["/api/v1/plans"]["get"]["security"] == [
        {"BearerToken": []},
        {"SessionCookie": []},
        {},
    ]
    assert {} not in patch["security"]
    # Every operation validates its parameters: its 400 is documented (found by the fuzz run).
    for path in paths.values():
        for operation in path.values():
            assert "400" in operation["responses"], operation["operationId"]
    number = schema["components"]["schemas"]["IndicatorUpdate"]["properties"]["value_number"]
    assert {"type": "string", "pattern": "^-?[0-9]{1,14}(\\.[0-9]{1,4})?$"} in number["anyOf"]
    for path in paths.values():
        for operation in path.values():
            assert not operation["summary"].isascii() or " " in operation["summary"]


def test_docs_page_uses_only_packaged_assets(db):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert assets
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/").split("?")[0]), asset  # no CDN
    assert not re.search(r'(?:src)="https?://', html)
    assert "/api/v1/openapi.json" in html
