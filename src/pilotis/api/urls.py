"""URLs of the API (under /api/v1/, JSON answers only) and of the personal tokens page."""

from django.urls import include, path, re_path

from pilotis.api import docs, errors, views
from pilotis.api.api import api

_patterns, _app_name, _namespace = api.urls
# ninja answers a wrong method with a bare-text 405: wrapped so that it is JSON as well.
for _pattern in _patterns:
    _pattern.callback = errors.with_json_errors(_pattern.callback)
    if _pattern.name == "api-root":
        # ninja's root is a bare 404 (an HTML debug page under DEBUG): the API's index instead.
        _pattern.callback = docs.index

token_patterns = [
    path("comptes/jetons/", views.token_list, name="tokens"),
    path("comptes/jetons/<int:pk>/revoquer/", views.revoke, name="revoke_token"),
    # The documentation is a page of the site (in French, DSFR), not ninja's Swagger UI.
    path("api/v1/docs", docs.documentation, name="docs"),
]

urlpatterns = [
    path("", include((token_patterns, "api"))),
    path("api/v1/", include((_patterns, _app_name), namespace=_namespace)),
    # Anything else under /api/ is a JSON 404, not the site's HTML page.
    re_path(r"^api/", errors.not_found, name="api_not_found"),
]
