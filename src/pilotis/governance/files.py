"""Attachments checked by their content, not their name: PDF, DOCX, ODT, XLSX, PNG, JPEG. Pure."""

from __future__ import annotations

import io
import zipfile

# What each accepted kind is called for users, and the type it is served with.
KINDS = {
    "pdf": ("PDF", "application/pdf"),
    "docx": ("DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "odt": ("ODT", "application/vnd.oasis.opendocument.text"),
    "png": ("PNG", "image/png"),
    "jpeg": ("JPEG", "image/jpeg"),
}
ACCEPTED = ", ".join(label for label, _type in KINDS.values())


class RefusedFile(ValueError):
    pass


def sniff(data: bytes, filename: str) -> str:
    """The kind of the file by its bytes; RefusedFile with a French reason otherwise."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
                if "mimetype" in names:
                    mimetype = archive.read("mimetype").strip()
                    if mimetype == KINDS["odt"][1].encode():
                        return "odt"
                if "[Content_Types].xml" in names:
                    if any(n.startswith("word/") for n in names):
                        return "docx"
                    if any(n.startswith("xl/") for n in names):
                        return "xlsx"
        except zipfile.BadZipFile as exc:
            raise RefusedFile(f"« {filename} » est une archive illisible.") from exc
    raise RefusedFile(
        f"« {filename} » n’est pas d’un type accepté : {ACCEPTED} (le contenu du fichier est "
        "vérifié, pas seulement son nom)."
    )


def safe_name(filename: str, kind: str) -> str:
    """A download name without path or odd characters, with the extension its content has."""
    stem = filename.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    stem = "".join(c if c.isalnum() or c in " -_" else "_" for c in stem).strip() or "piece-jointe"
    return f"{stem[:80]}.{'jpg' if kind == 'jpeg' else kind}"
