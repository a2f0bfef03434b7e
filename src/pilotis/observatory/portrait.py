"""A territory's portrait: every indicator for the territory against its department, region and
France, each value with its period and source, and what can be computed from its communes.

Loading is a handful of queries whatever the number of indicators; composing is pure.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from pilotis.observatory import aggregation, dictionary
from pilotis.observatory.loading import communes_of
from pilotis.observatory.models import Indicator, Observation, Territory

L = Territory.Level


@dataclass
class Figure:
    value: float
    period: str
    source: str
    provenance: str
    computed: bool = False

    @property
    def period_label(self) -> str:
        return self.period or "année non précisée"


@dataclass
class Row:
    indicator: Indicator
    cells: list[list[Figure]]  # one list per column (the territory, then its references)

    @property
    def disagree(self) -> bool:
        """The territory has several values for the same period from different sources."""
        by_period = defaultdict(set)
        for f in self.cells[0]:
            by_period[f.period].add(round(f.value, 6))
        return any(len(v) > 1 for v in by_period.values())


@dataclass
class Theme:
    code: str
    label: str
    rows: list[Row] = field(default_factory=list)
    fiches: list = field(default_factory=list)


@dataclass
class Portrait:
    territory: Territory
    columns: list[Territory]
    themes: list[Theme]


def references_of(territory: Territory) -> list[Territory]:
    """The territory, then its department, region and France (those loaded)."""
    wanted: list[tuple[str, str]] = []
    if territory.level in (L.COMMUNE, L.EPCI, L.PERIMETER):
        if territory.level == L.COMMUNE:
            department = territory.department_code
        else:
            codes = Counter(communes_of(territory).values_list("department_code", flat=True))
            department = codes.most_common(1)[0][0] if codes else ""
        if department:
            wanted.append((L.DEPARTMENT, department))
    if territory.level in (L.COMMUNE, L.EPCI, L.PERIMETER, L.DEPARTMENT):
        region = territory.region_code
        if not region and wanted:
            region = (
                Territory.objects.filter(level=L.DEPARTMENT, code=wanted[0][1])
                .values_list("region_code", flat=True)
                .first()
            )
        if region:
            wanted.append((L.REGION, region))
    if territory.level != L.COUNTRY:
        wanted.append((L.COUNTRY, "FR"))
    found = {
        (t.level, t.code): t
        for t in Territory.objects.filter(code__in=[c for _, c in wanted]).defer("geometry")
    }
    return [territory] + [found[k] for k in wanted if k in found]


def _figure(o: Observation) -> Figure:
    return Figure(o.value, o.period, o.source, o.provenance)


def computed_figures(territory: Territory, indicators: list[Indicator]) -> dict[int, list[Figure]]:
    """What the territory's communes give, aggregated by each indicator's rule, per period and
    source (communes without a value counted as missing)."""
    out: dict[int, list[Figure]] = defaultdict(list)
    if territory.level == L.COMMUNE:
        return out
    communes = communes_of(territory)
    commune_count = communes.count()
    by_key: dict[tuple[int, str, str], list[aggregation.Point]] = defaultdict(list)
    aggregatable = {i.pk: i for i in indicators if i.aggregation != Indicator.Aggregation.NONE}
    rows = Observation.objects.filter(
        territory__in=communes.values("pk"), indicator_id__in=list(aggregatable)
    ).values_list(
        "indicator_id",
        "period",
        "source",
        "value",
        "numerator",
        "denominator",
        "territory__population",
    )
    for indicator_id, period, source, value, num, den, population in rows:
        by_key[(indicator_id, period, source)].append(
            aggregation.Point(value, num, den, population)
        )
    for (indicator_id, period, source), points in sorted(by_key.items()):
        indicator = aggregatable[indicator_id]
        # Communes without a value for this period and source count as missing.
        points = points + [aggregation.Point(None)] * (commune_count - len(points))
        try:
            result = aggregation.aggregate(indicator.aggregation, points, indicator.scale)
        except aggregation.NotAggregatable:
            continue
        out[indicator_id].append(
            Figure(
                result.value,
                period,
                f"{source} — calculé sur {result.used} communes"
                + (f" ({result.missing} sans valeur)" if result.missing else ""),
                "",
                computed=True,
            )
        )
    return out


def _cells(columns: list[Territory], indicators: list[Indicator]) -> dict[int, list[list[Figure]]]:
    """Per indicator, the figures of each column (the first column's computed ones included)."""
    observed: dict[tuple[int, int], list[Figure]] = defaultdict(list)
    rows = Observation.objects.filter(
        territory__in=columns, indicator__in=[i.pk for i in indicators]
    ).order_by("-period", "source")
    for o in rows:
        observed[(o.indicator_id, o.territory_id)].append(_figure(o))
    computed = computed_figures(columns[0], indicators)
    out = {}
    for indicator in indicators:
        cells = [observed.get((indicator.pk, t.pk), []) for t in columns]
        cells[0] = cells[0] + computed.get(indicator.pk, [])
        if any(cells):
            out[indicator.pk] = cells
    return out


def indicator_rows(
    territory: Territory, indicators: list[Indicator]
) -> tuple[list[Territory], dict[int, Row]]:
    """The columns and the portrait's rows for a few indicators (a fiche's trend)."""
    columns = references_of(territory)
    cells = _cells(columns, indicators)
    return columns, {i.pk: Row(i, cells[i.pk]) for i in indicators if i.pk in cells}


def build(territory: Territory, fiches=()) -> Portrait:
    columns = references_of(territory)
    indicators = list(Indicator.objects.all())
    all_cells = _cells(columns, indicators)
    fiche_themes = [(f, dictionary.themes_of(_fiche_text(f))) for f in fiches]
    themes: dict[str, Theme] = {}
    for indicator in indicators:
        cells = all_cells.get(indicator.pk)
        if not cells:
            continue
        theme = themes.get(indicator.theme)
        if theme is None:
            theme = themes[indicator.theme] = Theme(
                indicator.theme,
                dictionary.theme_label(indicator.theme),
                fiches=[f for f, codes in fiche_themes if indicator.theme in codes],
            )
        theme.rows.append(Row(indicator, cells))
    # Themes the plan's fiches act on are shown even before any figure is known.
    for code, (label, _) in dictionary.THEMES.items():
        acting = [f for f, codes in fiche_themes if code in codes]
        if acting and code not in themes:
            themes[code] = Theme(code, label, fiches=acting)
    order = list(dictionary.THEMES)
    return Portrait(
        territory,
        columns,
        sorted(themes.values(), key=lambda t: order.index(t.code) if t.code in order else 99),
    )


def _fiche_text(fiche) -> str:
    section = getattr(fiche, "section", None)
    return " ".join([fiche.title, section.title if section else ""])


AREA_FIELDS = {"epci": "epci_code", "department": "department_code", "region": "region_code"}


def aggregate_communes_by(
    indicator: Indicator, period: str, level: str, source: str = ""
) -> dict[str, float]:
    """One indicator's value for every EPCI (department, region) from its communes' values, by
    the indicator's rule, computed by the database in one GROUP BY (the same rules as
    `aggregation.aggregate`; rates from the sums of numerators and denominators)."""
    from django.db.models import Count, F, Q, Sum

    if indicator.aggregation == Indicator.Aggregation.NONE:
        raise aggregation.NotAggregatable("cet indicateur ne s’agrège pas à partir des communes")
    key = f"territory__{AREA_FIELDS[level]}"
    rows = Observation.objects.filter(
        indicator=indicator, period=period, territory__level=L.COMMUNE
    )
    if source:
        rows = rows.filter(source=source)  # never mix two sources' values in one sum
    rows = rows.values(key)
    out: dict[str, float] = {}
    if indicator.aggregation == Indicator.Aggregation.RATIO:
        rows = rows.annotate(
            num=Sum("numerator"),
            den=Sum("denominator"),
            lacking=Count("id", filter=Q(numerator__isnull=True) | Q(denominator__isnull=True)),
        )
        for r in rows:
            if r["den"] and not r["lacking"]:
                out[r[key]] = r["num"] / r["den"] * indicator.scale
    elif indicator.aggregation == Indicator.Aggregation.SUM:
        communes = dict(
            Territory.objects.filter(level=L.COMMUNE)
            .values(AREA_FIELDS[level])
            .annotate(n=Count("id"))
            .values_list(AREA_FIELDS[level], "n")
        )
        for r in rows.annotate(total=Sum("value"), n=Count("id", filter=Q(value__isnull=False))):
            if r["n"] == communes.get(r[key]):  # a partial sum is no total
                out[r[key]] = r["total"]
    else:
        weighted = rows.filter(value__isnull=False, territory__population__gt=0).annotate(
            w=Sum(F("value") * F("territory__population")), p=Sum("territory__population")
        )
        for r in weighted:
            out[r[key]] = r["w"] / r["p"]
    out.pop("", None)
    return out
