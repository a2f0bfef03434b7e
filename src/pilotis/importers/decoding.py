"""Turn uploaded bytes into text, refusing with a clear French message what is not text."""

from __future__ import annotations

from pilotis.core.cells import xml_safe
from pilotis.plans.draft import ParseError

_MAGIC = {
    b"%PDF": "un PDF",
    b"PK\x03\x04": "une archive ZIP ou un document Office (DOCX, XLSX, ODT…)",
    b"\x89PNG": "une image PNG",
    b"\xff\xd8\xff": "une image JPEG",
    b"GIF8": "une image GIF",
    b"\xd0\xcf\x11\xe0": "un ancien document Office (DOC, XLS)",
}


def decode_text(data: bytes, filename: str) -> str:
    """Decode a text document: UTF-8 (with or without BOM), else Windows-1252 / Latin-1.

    Line endings are normalised to "\\n" so that line numbers match what an editor shows.
    """
    if not data or not data.strip():
        raise ParseError(f"Le fichier « {filename} » est vide : il ne contient aucun texte.")
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise ParseError(
                f"Le fichier « {filename} » est {what}, pas un document texte. "
                "Déposez le contrat au format texte (.txt)."
            )
    if b"\x00" in data[:4096] or _control_ratio(data[:4096]) > 0.05:
        raise ParseError(
            f"Le fichier « {filename} » est un fichier binaire, pas un document texte : "
            "il contient des octets de contrôle qu'aucun texte ne contient."
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # French documents saved by older Windows tools: cp1252 is a superset of Latin-1 for
        # printable characters (it adds œ, ’, €); fall back to Latin-1 for the bytes it lacks.
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    # Characters XML cannot hold (a stray \\x01, a form feed between pages) would be stored and
    # then break the DOCX and XLSX written from the plan: they go at input.
    return xml_safe(text.replace("\r\n", "\n").replace("\r", "\n"))


def _control_ratio(sample: bytes) -> float:
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return controls / max(1, len(sample))
