"""Pure shaping of a plan's structured data (perimeter, budget, members, key figures…)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pilotis.core.text import fold
from pilotis.plans.display import lines_label, text_blocks

# French typography: a narrow no-break space groups thousands, a no-break space comes before a
# unit sign ("347 500 €", "15,9 %"), so that a figure never wraps away from its unit.
THOUSANDS = "\u202f"
UNIT_SPACE = "\u00a0"
MINUS = "\u2212"


def fr_number(value: Any, decimals: int | None = None) -> str:
    """12345.5 -> '12 345,5' (narrow no-break space, decimal comma); text is returned as is.

    Without `decimals`, a float keeps the digits it has (25.0 -> '25', 0.05 -> '0,05').
    """
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value)
    if isinstance(value, str):
        return value
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    if decimals is not None:
        text = f"{number:.{decimals}f}"
    elif number == number.to_integral_value():
        text = f"{number:.0f}"
    else:
        text = format(number.normalize(), "f")
    negative = text.startswith("-")
    whole, _, fraction = text.lstrip("-").partition(".")
    groups = []
    while len(whole) > 3:
        whole, groups = whole[:-3], [whole[-3:], *groups]
    grouped = THOUSANDS.join([whole, *groups])
    if negative and (set(whole + fraction) - {"0"}):  # no "−0"
        grouped = MINUS + grouped
    return grouped + ("," + fraction if fraction else "")


def fr_euros(value: Any) -> str:
    """347500 -> '347 500 €'."""
    text = fr_number(value)
    return f"{text}{UNIT_SPACE}€" if text and not isinstance(value, str) else text


def fr_percent(ratio: float | None, decimals: int = 1) -> str:
    """0.15917 -> '15,9 %'; None -> ''."""
    if ratio is None:
        return ""
    return f"{fr_number(round(ratio * 100, decimals), decimals)}{UNIT_SPACE}%"


def with_unit(value: Any, unit: str) -> str:
    """A figure and its unit: (26, '%') -> '26 %', (150000, 'habitants') -> '150 000 habitants'."""
    text = fr_number(value)
    if not text or not unit or isinstance(value, str):
        return text
    return f"{text}{UNIT_SPACE}{unit}"


def _ratio(part: Any, whole: Any) -> float | None:
    if isinstance(part, int | float) and isinstance(whole, int | float) and whole:
        return part / whole
    return None


def _number(value: Any) -> int | float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _sum(values: Iterable[Any]) -> int | float | None:
    numbers = [_number(v) for v in values]
    if not numbers or any(n is None for n in numbers):
        return None
    return sum(numbers)


@dataclass
class Check:
    """A consistency check the parser wrote at plan level ({field, message, first_line…})."""

    message: str
    lines: str = ""


def checks(items: Any) -> list[Check]:
    out = []
    for item in items or []:
        if isinstance(item, dict):
            out.append(
                Check(
                    str(item.get("message", "")),
                    lines_label(item.get("first_line"), item.get("last_line")),
                )
            )
        elif item:
            out.append(Check(str(item)))
    return out


@dataclass
class Part:
    """One part of the data page: its anchor, its heading and what its template shows."""

    key: str
    title: str
    data: Any

    @property
    def template(self) -> str:
        return f"plans/data/_{self.key}.html"

    @property
    def anchor(self) -> str:
        return f"donnees-{self.key.replace('_', '-')}"


# --- CPTS: perimeter, budget, members, governance -----------------------------------------------


@dataclass
class Perimeter:
    rows: list[tuple[str, str, str]]  # name, INSEE code, population
    has_population: bool
    stated: str  # the total the document states
    computed: str  # the sum of the communes' populations
    differs: bool
    checks: list[Check]


def perimeter(communes: Sequence, extra: dict) -> Perimeter | None:
    """Communes (Territory rows, name order) with their populations, and the two totals."""
    total = extra.get("perimeter_total") if isinstance(extra.get("perimeter_total"), dict) else {}
    if not communes and not total:
        return None
    populations = [getattr(c, "population", None) for c in communes]
    computed = _sum(populations) if communes else _number(total.get("computed"))
    stated = _number(total.get("stated"))
    return Perimeter(
        rows=[(c.name, c.code, fr_number(p)) for c, p in zip(communes, populations, strict=True)],
        has_population=any(p is not None for p in populations),
        stated=fr_number(stated),
        computed=fr_number(computed),
        differs=stated is not None and computed is not None and stated != computed,
        checks=checks(extra.get("perimeter_check")),
    )


@dataclass
class BudgetRow:
    label: str
    detail: str
    mission: str
    fiche: str
    expenses: str
    resources: str
    balance: str


@dataclass
class Budget:
    rows: list[BudgetRow]
    expenses: str
    resources: str
    balance: str
    stated_expenses: str
    stated_resources: str
    stated_differs: bool
    note: str
    checks: list[Check]


def _balance(expenses: Any, resources: Any) -> str:
    e, r = _number(expenses), _number(resources)
    return fr_euros(r - e) if e is not None and r is not None else ""


def budget(extra: dict) -> Budget | None:
    """Budget lines by mission, totals and balance computed here, totals as stated beside them."""
    lines = [row for row in extra.get("budget") or [] if isinstance(row, dict)]
    if not lines:
        return None
    stated = extra.get("budget_total") if isinstance(extra.get("budget_total"), dict) else {}
    expenses = _sum(row.get("expenses") for row in lines)
    resources = _sum(row.get("resources") for row in lines)
    stated_expenses, stated_resources = (
        _number(stated.get("expenses")),
        _number(stated.get("resources")),
    )
    return Budget(
        rows=[
            BudgetRow(
                label=str(row.get("label") or ""),
                detail=str(row.get("detail") or ""),
                mission=str(row.get("mission") or ""),
                fiche=str(row.get("fiche") or ""),
                expenses=fr_euros(row.get("expenses")),
                resources=fr_euros(row.get("resources")),
                balance=_balance(row.get("expenses"), row.get("resources")),
            )
            for row in lines
        ],
        expenses=fr_euros(expenses),
        resources=fr_euros(resources),
        balance=_balance(expenses, resources),
        stated_expenses=fr_euros(stated_expenses),
        stated_resources=fr_euros(stated_resources),
        stated_differs=(stated_expenses is not None and stated_expenses != expenses)
        or (stated_resources is not None and stated_resources != resources),
        note=str(stated.get("note") or ""),
        checks=checks(extra.get("budget_check")),
    )


@dataclass
class MemberRow:
    profession: str
    count: str
    share: str  # computed: count / members of the CPTS
    territory: str
    pending: str
    representativity: str  # as the document writes it
    coverage: str  # computed: count / professionals of the territory


@dataclass
class Members:
    rows: list[MemberRow]
    total: MemberRow
    stated_count: str
    stated_differs: bool
    checks: list[Check]


def members(extra: dict) -> Members | None:
    """Members by profession; shares and coverage computed from the counts, never copied."""
    rows = [row for row in extra.get("members") or [] if isinstance(row, dict)]
    if not rows:
        return None
    stated = extra.get("members_total") if isinstance(extra.get("members_total"), dict) else {}
    count = _sum(r.get("count") for r in rows)
    # Professions the document gives no territory figure for are left out of its sum: its own
    # totals are the ones to compare with, and the computed sum when it states none.
    territory = _number(stated.get("territory"))
    if territory is None:
        territory = _sum(r.get("territory") for r in rows)
    pending = _number(stated.get("pending"))
    if pending is None:
        pending = _sum(r.get("pending") for r in rows)
    stated_count = _number(stated.get("count"))
    return Members(
        rows=[
            MemberRow(
                profession=str(r.get("profession") or ""),
                count=fr_number(r.get("count")),
                share=fr_percent(_ratio(r.get("count"), count)),
                territory=fr_number(r.get("territory")),
                pending=fr_number(r.get("pending")),
                representativity=str(r.get("representativity_as_written") or ""),
                coverage=fr_percent(_ratio(r.get("count"), r.get("territory"))),
            )
            for r in rows
        ],
        total=MemberRow(
            profession="Total",
            count=fr_number(count),
            share=fr_percent(1.0) if count else "",
            territory=fr_number(territory),
            pending=fr_number(pending),
            representativity=str(stated.get("representativity_as_written") or ""),
            coverage=fr_percent(_ratio(count, territory)),
        ),
        stated_count=fr_number(stated_count),
        stated_differs=stated_count is not None and stated_count != count,
        checks=checks(extra.get("members_check")),
    )


@dataclass
class College:
    number: str
    name: str
    composition: str


def governance(extra: dict) -> list[College]:
    return [
        College(
            str(c.get("number") or ""), str(c.get("name") or ""), str(c.get("composition") or "")
        )
        for c in extra.get("governance") or []
        if isinstance(c, dict)
    ]


# --- PRS scheme: Data repère, CTS challenges, CNR proposals, care-supply targets -----------------


@dataclass
class KeyFigure:
    label: str
    as_written: str
    value: str
    comparators: list[str]  # in the order of KeyFigures.comparators
    year: str
    source: str


@dataclass
class KeyFigures:
    territory: str
    comparators: list[str]
    rows: list[KeyFigure]
    common_source: str  # the source of most figures, shown once; others show their own
    sources: list[dict] = field(default_factory=list)  # [{name, url}] the page cites
    sources_note: str = ""


def key_figures(extra: dict) -> KeyFigures | None:
    figures = [f for f in extra.get("key_figures") or [] if isinstance(f, dict)]
    if not figures:
        return None
    comparators: list[str] = []
    for f in figures:
        for name in f.get("comparators") or {}:
            if name not in comparators:
                comparators.append(name)
    # From the nearest to the widest, France last: the stored order is not kept (PostgreSQL's
    # jsonb reorders keys), so it is restored here.
    comparators.sort(key=lambda name: (fold(name) == "france", fold(name)))
    territories = [str(f.get("territory") or "") for f in figures]
    # The template names one source for the whole page: said once under the table, while a
    # figure from elsewhere says its own; a column would repeat the same long text on each row.
    sources = [str(f.get("source") or "") for f in figures]
    common = max(set(sources), key=sources.count)
    if sources.count(common) * 2 <= len(sources):
        common = ""
    page = extra.get("data_repere") if isinstance(extra.get("data_repere"), dict) else {}
    rows = []
    for f in figures:
        unit = str(f.get("unit") or "")
        values = f.get("comparators") or {}
        year = f.get("year")
        rows.append(
            KeyFigure(
                label=str(f.get("label") or f.get("key") or ""),
                as_written=str(f.get("as_written") or ""),
                value=with_unit(f.get("value"), unit),
                comparators=[with_unit(values.get(name), unit) for name in comparators],
                year=str(year) if year not in (None, "") else "",
                source="" if f.get("source") == common else str(f.get("source") or ""),
            )
        )
    return KeyFigures(
        territory=max(set(territories), key=territories.count) or "Territoire",
        comparators=comparators,
        rows=rows,
        common_source=common,
        sources=[s for s in page.get("sources") or [] if isinstance(s, dict) and s.get("name")],
        sources_note=str(page.get("sources_note") or ""),
    )


def challenges(extra: dict) -> list[str]:
    return [
        str(c.get("text") if isinstance(c, dict) else c)
        for c in extra.get("challenges") or []
        if (c.get("text") if isinstance(c, dict) else c)
    ]


def cnr_proposals(extra: dict) -> list[tuple[str, list[str]]]:
    """Proposals grouped by theme, themes in the order the document first names them."""
    themes: dict[str, list[str]] = {}
    for p in extra.get("cnr_proposals") or []:
        if isinstance(p, dict) and p.get("text"):
            themes.setdefault(str(p.get("theme") or "Sans thème"), []).append(str(p["text"]))
    return list(themes.items())


# The last headings of a care-supply table's header line, the one the value columns carry;
# the parser keeps the header as one line of text ("Zone d’implantation Modalités Cibles").
_VALUE_HEADING = re.compile(
    r"(?:^|\s)((?:Existant|Bilan)\s+au\s+(?:(?!Existant|Bilan).)*?\d{4}|Existant|Bilan|Cibles?"
    r"|Implantations|Appareils)\s*$"
)
_ZONE_HEADING = re.compile(r"^\s*Zones?\s+d.implantation\s*", re.IGNORECASE)


def table_headings(columns: str, n_values: int) -> tuple[str, list[str]]:
    """Header line of a care-supply table -> (heading of the label column, value headings).

    Value headings are read from the end of the line ("… Existant au 1er juin 2023 Cibles");
    when the line does not end with known headings, they are numbered ("Valeur 1"…).
    """
    rest = _ZONE_HEADING.sub("", columns or "").strip()
    headings: list[str] = []
    while len(headings) < n_values and (m := _VALUE_HEADING.search(rest)):
        headings.insert(0, m.group(1))
        rest = rest[: m.start()].strip()
    if len(headings) < n_values:
        rest = _ZONE_HEADING.sub("", columns or "").strip()
        headings = ["Valeur"] if n_values == 1 else [f"Valeur {i}" for i in range(1, n_values + 1)]
    elif (
        n_values > 1
        and (m := _VALUE_HEADING.search(rest))
        and m.group(1).startswith(("Existant", "Bilan"))
    ):
        # "Existant au 01/06/2023 Implantations Appareils": a heading over two columns.
        headings = [f"{h} ({m.group(1)[0].lower()}{m.group(1)[1:]})" for h in headings]
        rest = rest[: m.start()].strip()
    return rest or "Modalités", headings


@dataclass
class CareTable:
    caption: str
    label_heading: str
    headings: list[str]
    rows: list[tuple[str, list[str]]]  # label, values padded to the number of headings


@dataclass
class CareActivity:
    name: str
    tables: list[CareTable]
    notes: list[tuple[str, list]]  # heading, text blocks


def care_supply(extra: dict) -> list[CareActivity]:
    activities = []
    for a in extra.get("care_supply_targets") or []:
        if not isinstance(a, dict):
            continue
        name = str(a.get("activity") or "")
        tables = []
        for t in a.get("tables") or []:
            rows = [r for r in t.get("rows") or [] if isinstance(r, dict)]
            width = max((len(r.get("values") or []) for r in rows), default=0)
            label_heading, headings = table_headings(str(t.get("columns") or ""), max(width, 1))
            zone = str(t.get("zone") or "")
            caption = f"{name} — {t.get('title') or 'Tableau'}"
            if zone:
                caption += f" (zone d’implantation {zone})"
            tables.append(
                CareTable(
                    caption=caption,
                    label_heading=label_heading,
                    headings=headings,
                    rows=[
                        (
                            str(r.get("label") or ""),
                            [str(v) for v in r.get("values") or []]
                            + [""] * (len(headings) - len(r.get("values") or [])),
                        )
                        for r in rows
                    ],
                )
            )
        notes = [
            (str(n.get("heading") or ""), text_blocks(str(n["text"])))
            for n in a.get("notes") or []
            if isinstance(n, dict) and str(n.get("text") or "").strip()
        ]
        activities.append(CareActivity(name, tables, notes))
    return activities


# --- CLS: the PRS engagements it serves ---------------------------------------------------------


def prs_engagements(extra: dict) -> list[tuple[str, str]]:
    return [
        (str(e.get("number") or ""), str(e.get("title") or ""))
        for e in extra.get("prs_engagements") or []
        if isinstance(e, dict) and e.get("title")
    ]


def parts(extra: dict, communes: Sequence = ()) -> list[Part]:
    """The parts of the data page this plan has, in reading order; empty when it has none."""
    extra = extra if isinstance(extra, dict) else {}
    found = [
        Part("perimeter", "Périmètre et population", perimeter(communes, extra)),
        Part("budget", "Budget prévisionnel par mission", budget(extra)),
        Part("members", "Membres par profession", members(extra)),
        Part("governance", "Gouvernance : les collèges", governance(extra)),
        Part("key_figures", "Chiffres-clés du territoire (Data repère)", key_figures(extra)),
        Part(
            "challenges",
            "Défis identifiés par le conseil territorial de santé (CTS)",
            challenges(extra),
        ),
        Part(
            "cnr_proposals",
            "Propositions du CNR en santé (Conseil national de la refondation)",
            cnr_proposals(extra),
        ),
        Part("care_supply", "Objectifs quantitatifs de l’offre de soins", care_supply(extra)),
        Part(
            "prs_engagements",
            "Engagements du projet régional de santé que le contrat sert",
            prs_engagements(extra),
        ),
    ]
    return [p for p in found if p.data]
