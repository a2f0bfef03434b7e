"""Every answer under /api/ is JSON, errors included: {"detail": "<message en français>", …}."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import csrf, defaults
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

# Django's own logger of failed requests: the administrators' handlers already listen to it.
request_logger = logging.getLogger("django.request")

API_PATH_PREFIX = "/api/"

MESSAGES = {
    400: "Requête invalide.",
    401: "Authentification requise : jeton d'API (en-tête « Authorization: Bearer … ») ou session.",
    403: "Vous n'avez pas le droit d'effectuer cette action.",
    404: "Ressource introuvable.",
    405: "Méthode non autorisée pour cette adresse.",
    409: "Conflit avec l'état actuel de la ressource.",
    413: "Requête trop volumineuse.",
    415: "Le corps de la requête doit être du JSON (Content-Type: application/json).",
    500: "Erreur interne du serveur : l'incident a été enregistré.",
}


def json_error(status: int, detail: str | None = None, **extra: Any) -> JsonResponse:
    response = JsonResponse({"detail": detail or MESSAGES[status], **extra}, status=status)
    if status == 401:
        # RFC 9110: a 401 names the scheme the client should use.
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


class UnsupportedMediaType(ValueError):
    """A body that is not declared as JSON."""


class JsonOnlyParser(Parser):
    """Bodies are JSON: any other declared type is refused (415) rather than parsed anyway."""

    def parse_body(self, request: HttpRequest) -> Any:
        content_type = (request.content_type or "").lower()
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise UnsupportedMediaType(content_type)
        return super().parse_body(request)


# --- Validation messages -------------------------------------------------------------------------

# pydantic error type → French message; {name} fields come from the error's context.
_PYDANTIC_MESSAGES = {
    "missing": "Champ obligatoire.",
    "extra_forbidden": "Champ inconnu.",
    "int_parsing": "Nombre entier attendu.",
    "int_type": "Nombre entier attendu.",
    "int_from_float": "Nombre entier attendu.",
    "float_parsing": "Nombre attendu.",
    "float_type": "Nombre attendu.",
    "finite_number": "Nombre fini attendu.",
    "decimal_parsing": "Nombre décimal attendu.",
    "decimal_type": "Nombre décimal attendu.",
    "decimal_max_digits": "Au plus {max_digits} chiffres.",
    "decimal_max_places": "Au plus {decimal_places} décimales.",
    "decimal_whole_digits": "Au plus {whole_digits} chiffres avant la virgule.",
    "bool_parsing": "Booléen attendu (true ou false).",
    "bool_type": "Booléen attendu (true ou false).",
    "string_type": "Texte attendu.",
    "string_too_long": "Au plus {max_length} caractères.",
    "string_too_short": "Au moins {min_length} caractère(s).",
    "string_pattern_mismatch": "Caractères non autorisés.",
    "string_unicode": "Texte Unicode valide attendu.",
    "greater_than_equal": "Doit être supérieur ou égal à {ge}.",
    "greater_than": "Doit être supérieur à {gt}.",
    "less_than_equal": "Doit être inférieur ou égal à {le}.",
    "less_than": "Doit être inférieur à {lt}.",
    "literal_error": "Valeur non autorisée : {expected}.",
    "enum": "Valeur non autorisée : {expected}.",
    "list_type": "Liste attendue.",
    "too_long": "Au plus {max_length} élément(s).",
    "dict_type": "Objet JSON attendu.",
    "model_type": "Objet JSON attendu.",
    "model_attributes_type": "Objet JSON attendu.",
    "json_invalid": "JSON invalide.",
    "date_parsing": "Date attendue (AAAA-MM-JJ).",
    "date_from_datetime_parsing": "Date attendue (AAAA-MM-JJ).",
    "value_error": "{error}",
}


def _message(error: dict[str, Any]) -> str:
    template = _PYDANTIC_MESSAGES.get(error.get("type", ""), "Valeur invalide.")
    context = {k: str(v).replace("Value error, ", "") for k, v in (error.get("ctx") or {}).items()}
    context["expected"] = context.get("expected", "").replace(" or ", " ou ")
    try:
        return template.format(**context)
    except (KeyError, IndexError):
        return "Valeur invalide."


def _field_name(loc: tuple | list) -> str:
    # ninja's locations start with the source ("body", "query", "path") and, for a body, the
    # name of the view's parameter: a client knows its fields by their JSON path only.
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[2:] if len(parts) > 2 else []
    elif parts and parts[0] in {"query", "path", "header", "cookie", "form"}:
        parts = parts[1:]
    return ".".join(str(p) for p in parts) or "__all__"


def field_errors(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """pydantic's errors as Django forms give them: field path → French messages."""
    found: dict[str, list[str]] = {}
    for error in errors:
        loc = tuple(error.get("loc", ()))
        messages = found.setdefault(_field_name(loc), [])
        if loc[:1] == ("body",) and len(loc) == 2 and error.get("type") == "missing":
            message = "Le corps de la requête (un objet JSON) est obligatoire."
        else:
            message = _message(error)
        if message not in messages:
            messages.append(message)
    return found


def validation_failed(errors: dict[str, list[str]], detail: str | None = None) -> JsonResponse:
    """The 400 of a request whose data is refused: one list of French messages per field."""
    return json_error(
        400, detail or "Données invalides : voir les champs en erreur.", errors=errors
    )


# --- Handlers of the ninja API -------------------------------------------------------------------


def install(api: NinjaAPI) -> None:
    """Replace ninja's English and HTML-prone handlers by French JSON ones."""

    @api.exception_handler(ValidationError)
    def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        # 400 rather than ninja's 422: the same status as every other refused input.
        return validation_failed(field_errors(exc.errors))

    @api.exception_handler(AuthenticationError)
    def on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        message = exc.message if exc.message != "Unauthorized" else None
        return json_error(401, message)

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        message = exc.message
        # ninja turns whatever its parser raises into a 400 "Cannot parse request body".
        if isinstance(exc.__cause__, UnsupportedMediaType):
            return json_error(415)
        if exc.status_code == 400 and message.startswith("Cannot parse request body"):
            message = "Le corps de la requête n'est pas un JSON valide."
        elif message.isascii() and exc.status_code in MESSAGES:
            # ninja's own messages are English: say them in French.
            message = MESSAGES[exc.status_code]
        if exc.status_code == 400:
            # Every 400 has the same shape, with the messages by field (here, the whole body).
            return validation_failed({"__all__": [message]}, detail=message)
        return json_error(exc.status_code, message)

    @api.exception_handler(Http404)
    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return json_error(404)

    @api.exception_handler(PermissionDenied)
    def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return json_error(403, str(exc) or None)

    @api.exception_handler(RequestDataTooBig)
    def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return json_error(413)

    @api.exception_handler(Exception)
    def on_exception(request: HttpRequest, exc: Exception) -> HttpResponse:
        # What Django does for an uncaught exception (log it, tell the signal's listeners,
        # among them the test client), but the answer stays JSON, in DEBUG too.
        request_logger.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=exc,
            extra={"status_code": 500, "request": request},
        )
        got_request_exception.send(sender=None, request=request)
        return json_error(500)


# --- Answers outside the ninja views -------------------------------------------------------------


def with_json_errors(view: Callable) -> Callable:
    """Wrap a ninja URL's view: its bare-text 405 becomes a JSON one."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and response.get("Content-Type", "").startswith("text/"):
            allowed = response.get("Allow", "")
            json_response = json_error(405, allowed_methods=allowed.split(", ") if allowed else [])
            json_response["Allow"] = allowed
            return json_response
        return response

    return wrapped


# It changes nothing: a write without a CSRF token gets its 404 too, not the middleware's 403.
@csrf_exempt
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any address under /api/ that no endpoint serves."""
    return json_error(404, "Aucun point d'accès de l'API à cette adresse.")


def _under_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PATH_PREFIX)


def csrf_failure(request: HttpRequest, reason: str = "", **kwargs: Any) -> HttpResponse:
    """CSRF_FAILURE_VIEW: JSON under /api/, Django's page elsewhere."""
    if _under_api(request):
        return json_error(
            403,
            "Jeton CSRF manquant ou invalide : envoyez l'en-tête X-CSRFToken avec une requête "
            "de session, ou authentifiez-vous par un jeton d'API.",
        )
    return csrf.csrf_failure(request, reason, **kwargs)


# Django's handlers answer errors raised before or around a view (a middleware, a request
# refused as suspicious): under /api/ they must stay JSON as well.


def bad_request(request: HttpRequest, exception: Exception, *args: Any, **kwargs: Any):
    """handler400."""
    if _under_api(request):
        if isinstance(exception, RequestDataTooBig):
            return json_error(413)
        parameter = getattr(exception, "parameter", None)
        if parameter is not None:  # core.middleware: a NUL in the query string
            return validation_failed({parameter or "__all__": [str(exception)]})
        return json_error(400)
    return defaults.bad_request(request, exception, *args, **kwargs)


def permission_denied(request: HttpRequest, exception: Exception, *args: Any, **kwargs: Any):
    """handler403."""
    if _under_api(request):
        return json_error(403)
    return defaults.permission_denied(request, exception, *args, **kwargs)


def page_not_found(request: HttpRequest, exception: Exception, *args: Any, **kwargs: Any):
    """handler404."""
    if _under_api(request):
        return json_error(404)
    return defaults.page_not_found(request, exception, *args, **kwargs)


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """handler500: JSON under /api/ (an error raised outside the API's views), else the page."""
    if _under_api(request):
        return json_error(500)
    return defaults.server_error(request, *args, **kwargs)
