"""What every reader of a plan shares: splitting lists, contract years of a deadline, labels."""

from __future__ import annotations

import re

from pilotis.core.text import fold, squash

# A bullet or a number that opens an item of a list: "- ", "• ", "1. ", "2) ", "a) ", "A – ".
LIST_ITEM = re.compile(
    r"^\s*(?:(?P<bullet>[-–—•·▪◦○●➤→*✓□■]|->)\s*"
    r"|(?P<number>\d{1,2}(?:\.\d{1,2})?)\s*[.)°]\s+"
    r"|(?P<letter>[A-Za-z])\s*[)]\s+"
    r"|(?P<capital>[A-Z])\s*[.–-]\s+)"
    r"(?P<text>\S.*)$"
)
# A year of the contract period, as written in a calendar: 2020 to 2049.
YEAR = re.compile(r"\b(20[2-4]\d)\b")
YEAR_RANGE = re.compile(r"\b(20[2-4]\d)\s*(?:-|–|—|à|au|/)\s*(20[2-4]\d)\b")


def split_outside_parens(text: str, sep: str) -> list[str]:
    """Split on `sep` where it is not inside parentheses ("Département (PMI, ASE), CAF")."""
    out, depth, current = [], 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        if char == sep and depth == 0:
            out.append("".join(current))
            current = []
        else:
            current.append(char)
    out.append("".join(current))
    return out


def deadline_years(text: str, start_year: int | None) -> list[int]:
    """Contract years of a deadline: "Années 1, 2, 3, 4 et 5" -> [1, 2, 3, 4, 5]; "2024" with
    start 2024 -> [1]. Calendar years need the start year; numbers out of 1-10 are ignored."""
    text = re.sub(r"O\s*/\s*N", "", text)
    years: list[int] = []
    for token in re.findall(r"\d+", text):
        value = int(token)
        if value >= 2000 and start_year:
            value = value - start_year + 1
        if 1 <= value <= 10 and value not in years:
            years.append(value)
    return sorted(years)


def calendar_years(text: str) -> list[int]:
    """Calendar years a text names, ranges expanded: "2025-2027, puis 2029" -> [2025, 2026,
    2027, 2029]."""
    years: set[int] = set()
    for match in YEAR_RANGE.finditer(text):
        first, last = int(match.group(1)), int(match.group(2))
        if first <= last <= first + 10:
            years.update(range(first, last + 1))
    years.update(int(y) for y in YEAR.findall(YEAR_RANGE.sub(" ", text)))
    return sorted(years)


def contract_years(years: list[int], start_year: int | None, duration: int) -> list[int]:
    """Calendar years as years of the contract (1 = the start year), within its duration."""
    if not start_year:
        return []
    return [y - start_year + 1 for y in years if 1 <= y - start_year + 1 <= max(duration, 1)]


def list_items(lines: list[str]) -> list[str]:
    """Items of a list written one a line, bulleted or numbered; a line that opens no item
    continues the previous one when that one is a bulleted item, else is an item itself."""
    items: list[str] = []
    opened = False
    for raw in lines:
        line = squash(raw)
        if not line:
            opened = False
            continue
        match = LIST_ITEM.match(line)
        if match:
            items.append(squash(match.group("text")))
            opened = True
        elif opened and items and (line[:1].islower() or items[-1].endswith((",", "-"))):
            items[-1] = f"{items[-1]} {line}"
        else:
            items.append(line)
            opened = False
    return [item for item in items if item]


def canonical_label(text: str) -> str:
    """A label compared with the tables: folded, plural marks and punctuation dropped, every
    word singular ("Partenaire(s) associé(e)s :" -> "partenaire associe")."""
    text = fold(text.replace("’", "'").replace("‘", "'"))
    text = re.sub(r"\((?:s|e|es|x|e\)\(s)\)", "", text)
    text = re.sub(r"[()\[\]:;,.*_\"«»…/–—!?]+|\s-\s|^-|-$", " ", text)
    words = []
    for word in text.split():
        if len(word) > 3 and word[-1] in "sx" and not word.endswith(("us", "ss")):
            word = word[:-1]
        words.append(word)
    return " ".join(words)


class LabelTable:
    """French labels of rubrics and the stable code each stands for, compared as
    `canonical_label` writes them (no accents, case, punctuation or plural marks).

    A spelling ending with "…" also matches the labels it starts ("Estimation du budget…" for
    "Estimation du budget 2023-2025"); with `prefixes`, every spelling does, the longest
    winning. Every reader (the layout parsers and the general reader) recognises its labels
    through one of these tables.
    """

    def __init__(self, spellings: dict[str, list[str]], prefixes: bool = False):
        self.exact: dict[str, str] = {}
        starts: dict[str, str] = {}
        for code, forms in spellings.items():
            for form in forms:
                canonical = canonical_label(form.rstrip("…"))
                self.exact.setdefault(canonical, code)
                if prefixes or form.endswith("…"):
                    starts.setdefault(canonical, code)
        # Longest first: "indicateur de resultat" before "indicateur".
        self.starts = sorted(starts.items(), key=lambda item: len(item[0]), reverse=True)

    def match(self, label: str) -> str | None:
        """The code of a label, or None when the table does not know it."""
        canonical = canonical_label(label)
        if not canonical:
            return None
        if canonical in self.exact:
            return self.exact[canonical]
        for start, code in self.starts:
            if canonical.startswith(start + " ") and len(canonical) - len(start) < 60:
                return code
        return None
