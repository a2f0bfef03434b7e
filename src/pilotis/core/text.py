"""Text helpers shared by parsers and search: accent folding and whitespace normalisation."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case, accent-free form used for search and matching ("Santé" -> "sante")."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", stripped.replace("œ", "oe").replace("Œ", "oe").lower()).strip()


def squash(text: str) -> str:
    """Collapse runs of whitespace into one space and trim."""
    return _SPACES.sub(" ", text).strip()


def join_lines(lines: list[str], known_words: set[str] | None = None) -> str:
    """Join wrapped lines into one whitespace-normalised text.

    A line ending in a hyphen is glued to the next one. The hyphen is kept for compound words
    ("médico-" + "social"); it is dropped when the glued word without it is a word seen elsewhere
    in the document ("accompa-" + "gnement" when "accompagnement" is in `known_words`).
    """
    out = ""
    for raw in lines:
        line = squash(raw)
        if not line:
            continue
        if not out:
            out = line
        elif out.endswith("-") and not out.endswith(" -") and line[:1].isalpha():
            head = re.search(r"(\w+)-$", out)
            tail = re.match(r"\w+", line)
            if head and tail and known_words and fold(head.group(1) + tail.group(0)) in known_words:
                out = out[:-1] + line
            else:
                out = out + line
        else:
            out = out + " " + line
    return out


def word_set(text: str) -> set[str]:
    """Folded words of a text, for `join_lines`."""
    return set(re.findall(r"\w+", fold(text)))
