"""Observatory pages: index, portraits, plan territory, indicator map, downloads, import."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from pilotis.core.cells import csv_value, xlsx_value
from pilotis.core.forms import too_big
from pilotis.observatory import (
    aggregation,
    dictionary,
    imports,
    loading,
    maps,
    parsing,
    perms,
    portrait,
    ties,
)
from pilotis.observatory.models import (
    ImportBatch,
    Indicator,
    Observation,
    PlanPerimeter,
    Territory,
)
from pilotis.plans import perms as plan_perms
from pilotis.plans.models import FicheIndicator, Plan

L = Territory.Level
HOME = {"title": "Observatoire", "url": "/observatoire/"}


def _crumbs(current: str, *links: dict) -> dict:
    return {"links": [HOME, *links], "current": current}


@require_safe
def index(request):
    plans = plan_perms.visible_plans(request.user)
    perimeters = (
        PlanPerimeter.objects.filter(plan__in=plans)
        .select_related("plan", "territory")
        .order_by("plan__title")
    )
    themes = []
    for code, (label, _) in dictionary.THEMES.items():
        items = [i for i in Indicator.objects.all() if i.theme == code]
        if items:
            themes.append((label, items))
    return render(
        request,
        "observatory/index.html",
        {
            "title": "Observatoire territorial",
            "perimeters": perimeters,
            "themes": themes,
            "can_import": perms.can_import(request.user),
            "batches": ImportBatch.objects.filter(applied=True).order_by("-imported_at")[:10],
            "breadcrumb_data": {"current": "Observatoire"},
        },
    )


def _territory(level: str, code: str) -> Territory:
    if level not in L.values:
        raise Http404("Niveau inconnu.")
    return get_object_or_404(Territory.objects.defer("geometry"), level=level, code=code)


@require_safe
def territory(request, level, code):
    place = _territory(level, code)
    return render(
        request,
        "observatory/territory.html",
        {
            "title": f"Portrait — {place.name}",
            "territory": place,
            "portrait": portrait.build(place),
            "breadcrumb_data": _crumbs(place.name),
        },
    )


def _features(communes, values: dict[int, tuple[float | None, bool]] | None = None):
    out = []
    for c in communes:
        if not c.geometry:
            continue
        value, secret = (values or {}).get(c.pk, (None, False))
        out.append(maps.Feature(c.code, c.name, json.loads(c.geometry), value, secret))
    return out


@require_safe
def plan_territory(request, slug):
    plan = get_object_or_404(Plan.objects.select_related("perimeter"), slug=slug)
    perms.ensure_can_view_plan(request.user, plan)
    link = PlanPerimeter.objects.filter(plan=plan).select_related("territory").first()
    context = {
        "title": f"Territoire — {plan.title}",
        "plan": plan,
        "link": link,
        "stated": plan.perimeter,
        "can_edit": perms.can_edit_perimeter(request.user, plan),
        "breadcrumb_data": {
            "links": [{"title": plan.title, "url": plan.get_absolute_url()}],
            "current": "Territoire",
        },
    }
    if link:
        place = link.territory
        communes = list(loading.communes_of(place).order_by("name"))
        fiches = plan_perms.visible_fiches(request.user, plan).select_related("section")
        population = next(
            (
                r
                for t in portrait.build(place).themes
                for r in t.rows
                if r.indicator.code == "population"
            ),
            None,
        )
        context |= {
            "territory": place,
            "communes": communes,
            "computed_population": sum(c.population or 0 for c in communes),
            "population_row": population,
            "map": maps.outline(
                _features(communes), title=f"Les {len(communes)} communes du périmètre"
            ),
            "portrait": portrait.build(place, fiches.order_by("position")),
        }
    return render(request, "observatory/plan_territory.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def plan_perimeter(request, slug):
    """The coordinator picks the perimeter's communes (search by name or code)."""
    plan = get_object_or_404(Plan, slug=slug)
    perms.ensure_can_edit_perimeter(request.user, plan)
    link = PlanPerimeter.objects.filter(plan=plan).select_related("territory").first()
    current = list(loading.communes_of(link.territory).order_by("name")) if link else []
    if request.method == "POST":
        codes = request.POST.getlist("communes")
        communes = list(Territory.objects.filter(level=L.COMMUNE, code__in=codes))
        if not communes:
            messages.error(request, "Choisissez au moins une commune.")
        else:
            loading.set_custom_perimeter(plan, communes)
            messages.success(
                request, f"Périmètre enregistré : {len(communes)} commune(s) choisie(s)."
            )
            return redirect("observatory:plan_territory", slug=plan.slug)
    query = request.GET.get("q", "").strip()
    found = []
    if query:
        found = list(
            Territory.objects.filter(level=L.COMMUNE)
            .filter(Q(name__icontains=query) | Q(code__startswith=query))
            .exclude(pk__in=[c.pk for c in current])
            .defer("geometry")
            .order_by("name")[:50]
        )
    return render(
        request,
        "observatory/plan_perimeter.html",
        {
            "title": f"Périmètre — {plan.title}",
            "plan": plan,
            "current": current,
            "found": found,
            "query": query,
            "breadcrumb_data": {
                "links": [
                    {"title": plan.title, "url": plan.get_absolute_url()},
                    {
                        "title": "Territoire",
                        "url": reverse("observatory:plan_territory", args=[plan.slug]),
                    },
                ],
                "current": "Périmètre",
            },
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_ties(request, slug):
    """The coordinator ties the fiches' indicators to the observatory's."""
    plan = get_object_or_404(Plan, slug=slug)
    perms.ensure_can_edit_perimeter(request.user, plan)
    items = list(
        FicheIndicator.objects.filter(fiche__plan=plan, archived=False)
        .select_related("fiche")
        .order_by("fiche__position", "kind", "position")
    )
    indicators = {i.code: i for i in Indicator.objects.all()}
    if request.method == "POST":
        changed = 0
        for item in items:
            code = request.POST.get(f"tie-{item.pk}")
            if code is None:
                continue
            changed += ties.tie(
                item, indicators.get(code), request.user, "Rattachement à l’observatoire"
            )
        messages.success(request, f"{changed} rattachement(s) modifié(s).")
        return redirect("observatory:plan_ties", slug=plan.slug)
    rows = [(item, ties.suggest(item.text)) for item in items]
    return render(
        request,
        "observatory/plan_ties.html",
        {
            "title": f"Indicateurs suivis par l’observatoire — {plan.title}",
            "plan": plan,
            "rows": rows,
            "indicators": indicators.values(),
            "breadcrumb_data": {
                "links": [
                    {"title": plan.title, "url": plan.get_absolute_url()},
                    {
                        "title": "Territoire",
                        "url": reverse("observatory:plan_territory", args=[plan.slug]),
                    },
                ],
                "current": "Indicateurs suivis",
            },
        },
    )


# --- Indicator page and downloads ----------------------------------------------------------


def _default_territory(user) -> Territory | None:
    link = (
        PlanPerimeter.objects.filter(plan__in=plan_perms.visible_plans(user))
        .select_related("territory")
        .order_by("plan__title")
        .first()
    )
    if link:
        return link.territory
    return Territory.objects.filter(level=L.DEPARTMENT).defer("geometry").first()


class MapData:
    """The communes of a territory with one indicator's values for one period and one source."""

    def __init__(self, indicator: Indicator, place: Territory, period: str, source: str):
        self.indicator, self.territory = indicator, place
        self.communes = list(loading.communes_of(place).order_by("name"))
        rows = Observation.objects.filter(
            indicator=indicator, territory__in=[c.pk for c in self.communes]
        )
        self.periods = sorted(set(rows.values_list("period", flat=True)), reverse=True)
        self.period = (
            period if period in self.periods else (self.periods[0] if self.periods else "")
        )
        in_period = list(rows.filter(period=self.period))
        counts = Counter(o.source for o in in_period)
        self.sources = [s for s, _ in counts.most_common()]
        self.source = source if source in counts else (self.sources[0] if self.sources else "")
        self.threshold = settings.OBSERVATORY_SECRET_THRESHOLD
        self.by_commune = {o.territory_id: o for o in in_period if o.source == self.source}

    def is_secret(self, o: Observation) -> bool:
        return (
            self.indicator.counts_cases and o.numerator is not None and o.numerator < self.threshold
        )

    def values(self) -> dict[int, tuple[float | None, bool]]:
        out = {}
        for pk, o in self.by_commune.items():
            secret = self.is_secret(o)
            out[pk] = (None if secret else o.value, secret)
        return out

    def rows(self):
        values = self.values()
        for c in self.communes:
            o = self.by_commune.get(c.pk)
            value, secret = values.get(c.pk, (None, False))
            yield c, o, value, secret


def _map_data(request, code) -> MapData:
    indicator = get_object_or_404(Indicator, code=code)
    spec = request.GET.get("territoire", "")
    if ":" in spec:
        place = _territory(*spec.split(":", 1))
    else:
        place = _default_territory(request.user)
        if place is None:
            raise Http404("Aucun territoire chargé : lancez « pilotis geo load ».")
    return MapData(indicator, place, request.GET.get("periode", ""), request.GET.get("source", ""))


@require_safe
def indicator(request, code):
    data = _map_data(request, code)
    method = request.GET.get("methode", "jenks")
    method = method if method in maps.METHODS else "jenks"
    svg, breaks = "", []
    mesh = request.GET.get("maille", "communes")
    by_epci = mesh == "epci" and data.territory.level in (L.DEPARTMENT, L.REGION)
    epci_rows, epci_error = [], ""
    if by_epci and data.by_commune:
        # The EPCI of a department, each valued from its communes by the indicator's rule.
        codes = {c.epci_code for c in data.communes if c.epci_code}
        epcis = list(Territory.objects.filter(level=L.EPCI, code__in=codes).order_by("name"))
        try:
            values = portrait.aggregate_communes_by(
                data.indicator, data.period, "epci", data.source
            )
        except aggregation.NotAggregatable as exc:
            epci_error = str(exc)
        else:
            epci_rows = [(e, values.get(e.code)) for e in epcis]
            svg, breaks = maps.choropleth(
                _features(epcis, {e.pk: (values.get(e.code), False) for e in epcis}),
                title=f"{data.indicator.label}, {data.period}, EPCI de {data.territory.name}",
                unit=data.indicator.unit,
                source=f"{data.source}, agrégé des communes",
                method=method,
            )
    elif data.by_commune:
        svg, breaks = maps.choropleth(
            _features(data.communes, data.values()),
            title=f"{data.indicator.label}, {data.period}, communes de {data.territory.name}",
            unit=data.indicator.unit,
            source=data.source,
            method=method,
        )
    columns, rows = portrait.indicator_rows(data.territory, [data.indicator])
    row = rows.get(data.indicator.pk)
    choices = PlanPerimeter.objects.filter(
        plan__in=plan_perms.visible_plans(request.user)
    ).select_related("territory", "plan")
    query = f"territoire={data.territory.level}:{data.territory.code}&periode={data.period}"
    return render(
        request,
        "observatory/indicator.html",
        {
            "title": data.indicator.label,
            "indicator": data.indicator,
            "data": data,
            "rows": list(data.rows()),
            "svg": svg,
            "breaks": breaks,
            "method": method,
            "methods": maps.METHODS,
            "row": row,
            "columns": columns,
            "by_epci": by_epci,
            "can_mesh": data.territory.level in (L.DEPARTMENT, L.REGION),
            "epci_rows": epci_rows,
            "epci_error": epci_error,
            "theme": dictionary.theme_label(data.indicator.theme),
            "territory_choices": choices,
            "download_query": query + f"&source={data.source}",
            "breadcrumb_data": _crumbs(data.indicator.label),
        },
    )


HEADERS = [
    "code",
    "commune",
    "période",
    "valeur",
    "numérateur",
    "dénominateur",
    "secret statistique",
    "source",
    "provenance",
]


def _table(data: MapData) -> list[list]:
    out = []
    for c, o, value, secret in data.rows():
        out.append(
            [
                c.code,
                c.name,
                data.period,
                value,
                None if secret or o is None else o.numerator,
                None if o is None else o.denominator,
                "oui" if secret else "",
                o.source if o else "",
                o.provenance if o else "",
            ]
        )
    return out


def _csv_number(value: float) -> str:
    """A number as a French spreadsheet reads it: decimal comma, no trailing ",0"."""
    text = repr(value)
    return (text[:-2] if text.endswith(".0") else text).replace(".", ",")


@require_safe
def download(request, code, fmt):
    data = _map_data(request, code)
    name = f"{data.indicator.code}-{data.territory.code}-{data.period or 'sans-periode'}"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerow(HEADERS)
        for row in _table(data):
            writer.writerow([csv_value(_csv_number(v) if isinstance(v, float) else v) for v in row])
        response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = data.indicator.code[:31]
        for r, row in enumerate([HEADERS, *_table(data)], start=1):
            for col, value in enumerate(row, start=1):
                xlsx_value(sheet.cell(row=r, column=col), value)
        out = io.BytesIO()
        book.save(out)
        response = HttpResponse(
            out.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    elif fmt == "geojson":
        features = []
        for row, c in zip(_table(data), data.communes, strict=True):
            if not c.geometry:
                continue
            features.append(
                {
                    "type": "Feature",
                    "geometry": json.loads(c.geometry),
                    "properties": dict(zip(HEADERS, row, strict=True)),
                }
            )
        response = HttpResponse(
            json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
            content_type="application/geo+json",
        )
    else:
        raise Http404("Format inconnu.")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


# --- Import ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def import_file(request):
    perms.ensure_can_import(request.user)
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = "Choisissez un fichier CSV ou XLSX."
        elif refusal := too_big(upload):
            error = refusal
        else:
            data = upload.read()
            try:
                tables = parsing.read_file(data, upload.name)
            except parsing.FileError as exc:
                error = str(exc)
            else:
                source = request.POST.get("source", "").strip() or imports.source_from_notes(tables)
                batch = imports.new_batch(data, upload.name, source, request.user)
                return redirect("observatory:import_batch", pk=batch.pk)
    return render(
        request,
        "observatory/import.html",
        {
            "title": "Importer des données",
            "error": error,
            "breadcrumb_data": _crumbs("Importer des données"),
        },
    )


def _overrides(request, outcome) -> dict[int, dict]:
    """The mappings the user set on the mapping screen, one per unsure sheet."""
    overrides = {}
    for index, sheet in enumerate(outcome.sheets):
        if sheet.sure or sheet.skipped:
            continue
        p = f"s{index}-"
        values = []
        for column in sheet.table.headers:
            indicator = request.POST.get(f"{p}ind-{column}", "")
            if indicator:
                values.append(
                    {
                        "column": column,
                        "indicator": indicator,
                        "role": request.POST.get(f"{p}role-{column}", "value"),
                        "period": column.strip() if parsing.YEAR.match(column.strip()) else "",
                    }
                )
        filters = {}
        for i in range(3):
            column = request.POST.get(f"{p}filter-col-{i}", "")
            if column:
                filters[column] = request.POST.get(f"{p}filter-val-{i}", "")
        overrides[index] = {
            "code_column": request.POST.get(f"{p}code", ""),
            "level": request.POST.get(f"{p}level", ""),
            "period_column": request.POST.get(f"{p}period_column", ""),
            "period": request.POST.get(f"{p}period", "").strip(),
            "region_column": request.POST.get(f"{p}region_column", ""),
            "values": values,
            "filters": filters,
        }
    return overrides


@login_required
@require_http_methods(["GET", "POST"])
def import_batch(request, pk):
    perms.ensure_can_import(request.user)
    batch = get_object_or_404(ImportBatch, pk=pk, imported_by=request.user)
    if batch.applied:
        return render(
            request,
            "observatory/import_done.html",
            {"title": "Import appliqué", "batch": batch, "breadcrumb_data": _crumbs("Import")},
        )
    outcome = imports.run(batch, user=request.user)
    mapping_errors = []
    if request.method == "POST" and outcome.needs_mapping:
        overrides = _overrides(request, outcome)
        bounds = imports.indicator_bounds()
        for index, mapping in overrides.items():
            table = outcome.sheets[index].table
            mapping_errors += [
                f"{table.where} : {p}" for p in parsing.mapping_problems(table, mapping, bounds)
            ]
        if not mapping_errors:
            outcome = imports.run(batch, overrides, user=request.user)
    if batch.applied:
        messages.success(request, f"{batch.file_name} : {outcome.applied} valeur(s) importée(s).")
        return redirect("observatory:import_batch", pk=batch.pk)
    forms = []
    for index, sheet in enumerate(outcome.sheets):
        if sheet.sure or sheet.skipped:
            continue
        chosen = {v["column"]: v for v in sheet.mapping.get("values", [])}
        first = sheet.table.rows[0][1] if sheet.table.rows else []
        columns = [
            {
                "header": h,
                "example": first[i] if i < len(first) else "",
                "indicator": chosen.get(h, {}).get("indicator", ""),
                "role": chosen.get(h, {}).get("role", "value"),
            }
            for i, h in enumerate(sheet.table.headers)
        ]
        forms.append({"prefix": f"s{index}-", "sheet": sheet, "columns": columns})
    return render(
        request,
        "observatory/import_batch.html",
        {
            "title": f"Import de {batch.file_name}",
            "batch": batch,
            "outcome": outcome,
            "forms": forms,
            "mapping_errors": mapping_errors,
            "indicators": Indicator.objects.all(),
            "levels": parsing.LEVEL_LABELS,
            "roles": parsing.ROLE_LABELS,
            "breadcrumb_data": _crumbs("Import"),
        },
    )
