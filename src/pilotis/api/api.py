"""The versioned API object: routers, authentication, French JSON errors, OpenAPI description."""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from pilotis.api import errors, followup, read
from pilotis.api.auth import READ_AUTH

DESCRIPTION = """
Lire les plans (contrats locaux de santé, projets de santé de CPTS, schémas du PRS), leurs
sections, fiches, actions, indicateurs et organisations ; écrire le suivi annuel des fiches
que l'on pilote.

**Authentification** : un jeton personnel, créé sur la page « Mes jetons d'API » de votre compte,
envoyé dans l'en-tête `Authorization: Bearer <jeton>`. Depuis les pages de Pilotis, la session
du navigateur suffit (avec l'en-tête `X-CSRFToken` pour les écritures). Sans authentification,
seul ce qui est public est visible.

**Droits** : les mêmes que dans l'interface. Ce que l'appelant ne peut pas voir répond 404.

**Erreurs** : toujours du JSON `{"detail": "message"}` ; 400 ajoute `errors` (messages par
champ), 409 ajoute `changed_fields` (champs modifiés entre-temps).

**Listes** : paginées par `limit` (200 au plus) et `offset` ; la réponse donne `count`.
"""


class PilotisAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> OpenAPISchema:
        schema = super().get_openapi_schema(**kwargs)
        # Reads keep READ_AUTH, the API's default, whose last resort is `anonymous`: a callable
        # ninja cannot describe. Without the empty requirement, the schema would claim a token
        # or a session is required to read what is public.
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                if method == "get" and operation.get("security"):
                    operation["security"].append({})
        return schema


api = PilotisAPI(
    title="API Pilotis",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=READ_AUTH,
    docs_url=None,  # pilotis.api.docs serves the documentation page, in French
    openapi_url="/openapi.json",
    parser=errors.JsonOnlyParser(),
)
errors.install(api)
api.add_router("", read.router)
api.add_router("", followup.router)
