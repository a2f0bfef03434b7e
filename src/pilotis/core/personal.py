"""Personal contact data of individuals in imported text: found, and taken out (RGPD).

A contract or a CPTS project lists the phone numbers and webmail addresses of the people who wrote
it. Pilotis publishes plans to anyone: such data must not be stored in their content. These pure
functions find phone numbers and personal e-mail addresses (a webmail domain, or a
« prénom.nom@ » address) and replace them with a neutral mark. Professional addresses of an
organisation (contact@ars.sante.fr) are kept.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

REMOVED = "[coordonnée personnelle retirée]"
PHONE, EMAIL = "phone", "email"
KIND_LABELS = {PHONE: "numéro de téléphone", EMAIL: "adresse électronique personnelle"}

_PHONE = re.compile(r"(?<![\d+])(?:\+33[ .-]?|0033[ .-]?|0)[1-9](?:[ .-]?\d{2}){4}(?!\d)")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", re.UNICODE)
WEBMAIL_DOMAINS = frozenset(
    [
        "gmail.com",
        "hotmail.fr",
        "hotmail.com",
        "yahoo.fr",
        "yahoo.com",
        "orange.fr",
        "wanadoo.fr",
        "free.fr",
        "sfr.fr",
        "laposte.net",
        "outlook.fr",
        "outlook.com",
        "live.fr",
        "live.com",
        "icloud.com",
        "aol.com",
        "aol.fr",
        "neuf.fr",
        "bbox.fr",
        "numericable.fr",
        "gmx.fr",
        "gmx.com",
        "protonmail.com",
        "proton.me",
    ]
)
_ROLE_LOCAL_PARTS = re.compile(
    r"^(contact|accueil|secretariat|direction|info|infos|courrier|cls|cpts|ars|mairie|service)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Finding:
    kind: str  # PHONE | EMAIL
    value: str

    @property
    def masked(self) -> str:
        """Enough to recognise it in the report, not enough to use it."""
        if self.kind == PHONE:
            digits = re.sub(r"\D", "", self.value)
            return f"{digits[:2]} … {digits[-2:]}"
        local, _, domain = self.value.partition("@")
        return f"{local[:1]}…@{domain}"

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


def is_personal_email(address: str) -> bool:
    local, _, domain = address.lower().partition("@")
    if domain in WEBMAIL_DOMAINS:
        return True
    # firstname.lastname@organisation: a person's address, not the organisation's desk.
    return bool(re.fullmatch(r"[a-zà-ÿ-]+\.[a-zà-ÿ-]+", local)) and not _ROLE_LOCAL_PARTS.match(
        local
    )


def redact(text: str) -> tuple[str, list[Finding]]:
    """`text` without its phone numbers and personal e-mail addresses, and what was removed."""
    found: list[Finding] = []

    def phone(match: re.Match) -> str:
        found.append(Finding(PHONE, match.group(0)))
        return REMOVED

    def email(match: re.Match) -> str:
        if not is_personal_email(match.group(0)):
            return match.group(0)
        found.append(Finding(EMAIL, match.group(0)))
        return REMOVED

    if "@" in text:
        text = _EMAIL.sub(email, text)
    text = _PHONE.sub(phone, text)
    return text, found


@dataclass(frozen=True)
class Located:
    finding: Finding
    where: str  # e.g. « fiche 3, rubrique working_group »
    line: int  # first line of the element in the document (0 when unknown)


def redact_tree(obj: Any, where: str = "", line: int = 0) -> list[Located]:
    """Redact every string held by `obj` (dataclasses, lists, dicts), in place; the findings
    with the element they were in and its first line (from a `span` attribute)."""
    found: list[Located] = []

    def walk(value: Any, where: str, line: int) -> Any:
        if isinstance(value, str):
            clean, items = redact(value)
            found.extend(Located(item, where, line) for item in items)
            return clean
        if isinstance(value, list):
            value[:] = [walk(item, where, line) for item in value]
            return value
        if isinstance(value, dict):
            for key in list(value):
                value[key] = walk(value[key], f"{where}, {key}" if where else str(key), line)
            return value
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            span = getattr(value, "span", None)
            line_here = getattr(span, "first_line", None) or getattr(value, "line", None) or line
            label = f"fiche {value.number}" if hasattr(value, "section_key") else where
            if value.__dataclass_params__.frozen:
                return value
            for f in dataclasses.fields(value):
                if f.name in {"span", "key", "slug", "document", "section_key", "kind"}:
                    continue
                inner = f"{label}, {f.name}" if label else f.name
                setattr(value, f.name, walk(getattr(value, f.name), inner, line_here))
            return value
        return value

    walk(obj, where, line)
    return found
