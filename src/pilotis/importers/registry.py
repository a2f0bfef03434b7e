"""Entry point of every import: read the text (PDF, DOCX or plain), recognise the format, parse."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath

from pilotis.importers import carcassonne, confluences, cpts, general, prs
from pilotis.importers.decoding import decode_text
from pilotis.importers.documents import extract_text
from pilotis.importers.spreadsheets import is_spreadsheet, parse_spreadsheet
from pilotis.plans.draft import ParseError, PlanDraft


@dataclass(frozen=True)
class Format:
    code: str
    label: str  # French, shown to users
    detect: Callable[[str], bool]
    parse: Callable[[str, str], PlanDraft]


FORMATS: list[Format] = [
    Format(
        code="cls-ambitions",
        label="Contrat local de santé en ambitions et fiches action (modèle Carcassonne Agglo)",
        detect=carcassonne.looks_like,
        parse=carcassonne.parse,
    ),
    Format(
        code="cls-axes",
        label="Contrat local de santé en axes, objectifs opérationnels et actions "
        "(modèle Terres des Confluences)",
        detect=confluences.looks_like,
        parse=confluences.parse,
    ),
    Format(
        code="cpts-project",
        label="Projet de santé de CPTS en missions et fiches action",
        detect=cpts.looks_like,
        parse=cpts.parse,
    ),
    Format(
        code="prs-scheme",
        label="Schéma territorial de santé du PRS (engagements, défis, objectifs opérationnels)",
        detect=prs.looks_like,
        parse=prs.parse,
    ),
]


def detect_format(text: str) -> Format | None:
    return next((f for f in FORMATS if f.detect(text)), None)


def parse_document(
    data: bytes, filename: str, label_mapping: dict[str, str] | None = None
) -> PlanDraft:
    """Parse an uploaded document into a PlanDraft, or raise ParseError with a French message.

    A document no known layout recognises goes to the general reader; `label_mapping`
    (canonical label -> field code) corrects how that reader takes the document's labels.
    """
    name = PurePath(filename).name or "document"
    if name.lower().endswith(".json"):
        return _parse_json(data, name)
    if is_spreadsheet(name):
        return parse_spreadsheet(data, name)
    # Parsers read text laid out line by line; a PDF or DOCX is turned into such text first, and
    # provenance line numbers then refer to the lines of that text.
    text = extract_text(data, name)
    if text is None:
        text = decode_text(data, name)
    fmt = detect_format(text)
    if fmt is None:
        # A DOCX is read again from its XML, its tables as tables.
        docx = data if data.startswith((b"PK\x03\x04", b"PK\x05\x06")) else None
        return general.read(text, name, data=docx, mapping=label_mapping)
    draft = fmt.parse(text, name)
    if not draft.fiches:
        # A plan is its fiches: a document cut before them is not worth a plan of sections only.
        raise ParseError(
            f"Le document « {name} » a la forme d'un {fmt.label[0].lower()}{fmt.label[1:]}, "
            "mais aucune fiche n'a pu y être lue : le document est-il complet ?"
        )
    return draft


def _parse_json(data: bytes, name: str) -> PlanDraft:
    import json

    from pilotis.plans.export import plan_from_dict

    try:
        payload = json.loads(decode_text(data, name))
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"Le fichier « {name} » n'est pas un JSON valide (ligne {exc.lineno}, colonne "
            f"{exc.colno}) : {exc.msg}."
        ) from exc
    return plan_from_dict(payload)
