"""The report model: a plan's data as plain values, and the reports built from it by the roll-ups.

`reports.loader.load_plan_data` reads a plan once from the database into `PlanData`; everything
here is pure (no database, no Django), so that each figure is tested on hand-built data.
`annual_report` builds the yearly evaluation report of one contract year and `final_report` the
five-year evaluation; every renderer (page, PDF, DOCX, XLSX) takes one of them as it is, so the
four show the same figures. Counted reports are those transmitted or validated by the
coordination: a draft is not a result, its fiche is listed as late.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from functools import cached_property

from pilotis.followup import rollups
from pilotis.followup.rollups import (
    EXPECTED,
    MONITORING,
    RESULT,
    STOPPED,
    Aggregate,
    format_number,
    format_percent,
)
from pilotis.plans import publics as plan_publics
from pilotis.reports.charts import Bar, Chart, Series, bar_chart, line_chart

DEMO_LABEL = "Données de démonstration"
DEMO_NOTICE = (
    "Ce suivi est fictif : ses valeurs ont été générées pour montrer le fonctionnement de "
    "Pilotis. Elles ne disent rien de l’avancement réel du contrat."
)
# Report states that count: the pilots have handed the year in.
COUNTED_STATUSES = frozenset({"submitted", "validated"})
TO_DO_LABEL = "À faire"
NO_CAMPAIGN = "pas de campagne"
COUNTED_NOTE = (
    "Les chiffres comptent les fiches transmises ou validées par la coordination ; une fiche "
    "encore en brouillon est comptée comme manquante et citée parmi les fiches en retard."
)
DONE_LABELS = {"yes": "Oui", "no": "Non", "partly": "En partie"}
KIND_LABELS = {RESULT: "Résultat", MONITORING: "Suivi"}
STATE_LABELS = {
    EXPECTED: "attendue",
    rollups.NOT_STARTED: "pas encore commencée",
    STOPPED: "arrêtée",
}
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


# --- Formatting ---------------------------------------------------------------------------------


def fr_date(value: date | datetime | None) -> str:
    """'1er mars 2025', '15 février 2024'; '' for None."""
    if value is None:
        return ""
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


def fr_count(value: rollups.Exact) -> str:
    """A count that may hold a half (actions done « en partie »): 3 -> '3', 3/2 -> '1,5'."""
    if isinstance(value, int):
        return format_number(Decimal(value))
    return format_number(Decimal(value.numerator) / Decimal(value.denominator))


def plural(count: int | Fraction, singular: str, many: str | None = None) -> str:
    """French plural from 2 on: '1 fiche', '0 fiche', '2 fiches'."""
    word = singular if count < 2 else (many or singular + "s")
    return f"{fr_count(count)} {word}"


def yes_no(value: bool | None, empty: str = "Non renseigné") -> str:
    return empty if value is None else ("Oui" if value else "Non")


# --- What the loader reads ----------------------------------------------------------------------


@dataclass(frozen=True)
class SectionData:
    id: Hashable
    parent_id: Hashable | None
    number: str
    title: str
    depth: int
    # Multiplies the weights of its fiches in the sections above it and in the contract.
    weight: rollups.Exact | Decimal = 1

    @property
    def label(self) -> str:
        return f"{self.number}. {self.title}" if self.number else self.title


@dataclass(frozen=True)
class ActionData:
    id: Hashable
    letter: str
    text: str
    deadline_years: tuple[int, ...] = ()
    deadline_as_written: str = ""


@dataclass(frozen=True)
class IndicatorData:
    id: Hashable
    kind: str  # RESULT | MONITORING
    letters: tuple[str, ...] = ()
    text: str = ""


@dataclass(frozen=True)
class FicheData:
    id: Hashable
    number: str
    title: str
    section_id: Hashable | None = None
    public: str = ""
    pilots: tuple[str, ...] = ()  # organisation names, pilots and co-pilots
    partners: tuple[str, ...] = ()
    actions: tuple[ActionData, ...] = ()
    indicators: tuple[IndicatorData, ...] = ()
    weight: rollups.Exact | Decimal = 1
    stopped_year: int | None = None


@dataclass(frozen=True)
class ValueData:
    number: Decimal | None = None
    text: str = ""
    unit: str = ""
    baseline: str = ""
    target: str = ""

    def label(self) -> str:
        if self.number is not None:
            return f"{format_number(self.number)}\u00a0{self.unit}".strip()
        return self.text or "—"


@dataclass(frozen=True)
class ReportData:
    fiche_id: Hashable
    status: str
    status_label: str
    progress_rate: int | None = None
    objective_reached: bool | None = None
    obstacles: str = ""
    comment: str = ""
    actions: Mapping[Hashable, tuple[str, str]] = field(default_factory=dict)  # id: (done, comment)
    values: Mapping[Hashable, ValueData] = field(default_factory=dict)

    @property
    def counted(self) -> bool:
        return self.status in COUNTED_STATUSES


@dataclass(frozen=True)
class DecisionData:
    fiche_id: Hashable
    year: int
    kind: str
    kind_label: str
    reason: str
    new_action: str = ""
    decided_on: date | None = None


@dataclass(frozen=True)
class ErratumData:
    """A correction recorded on a validated year (followup.Erratum)."""

    fiche_id: Hashable | None
    year: int
    field_label: str
    before: str
    after: str
    reason: str
    recorded_on: date | None = None


@dataclass(frozen=True)
class CampaignData:
    year: int
    status: str
    status_label: str
    deadline: date | None = None
    frozen_at: datetime | None = None
    validated_on: date | None = None
    is_demo: bool = False
    reports: Mapping[Hashable, ReportData] = field(default_factory=dict)  # by fiche id


@dataclass(frozen=True)
class PlanData:
    slug: str
    title: str
    kind_label: str = ""
    territory: str = ""
    signature_date: date | None = None
    start_year: int | None = None
    duration_years: int = 5
    levels: tuple[str, ...] = ()
    sections: tuple[SectionData, ...] = ()
    fiches: tuple[FicheData, ...] = ()
    campaigns: tuple[CampaignData, ...] = ()  # by year
    decisions: tuple[DecisionData, ...] = ()
    errata: tuple[ErratumData, ...] = ()
    # The plan's controlled list of target publics (plans.publics), fiches resolved against it.
    public_vocabulary: tuple[plan_publics.Public, ...] = plan_publics.DEFAULT

    @cached_property
    def _campaigns_by_year(self) -> dict[int, CampaignData]:
        return {c.year: c for c in self.campaigns}

    def campaign(self, year: int) -> CampaignData | None:
        return self._campaigns_by_year.get(year)

    def calendar_year(self, year: int) -> int | None:
        return self.start_year + year - 1 if self.start_year else None

    def year_label(self, year: int) -> str:
        """'Année 1 (2024)', or 'Année 1' without a start year."""
        calendar = self.calendar_year(year)
        return f"Année {year} ({calendar})" if calendar else f"Année {year}"

    def level_name(self, depth: int) -> str:
        return self.levels[depth] if depth < len(self.levels) else "Section"


# --- The reports ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cover:
    title: str  # « Rapport annuel d’évaluation », « Évaluation finale »
    plan_title: str
    plan_kind: str
    territory: str
    subtitle: str  # « Année 1 (2024) », « Années 1 à 5 (2024 à 2028) »
    period: str  # « 2024 à 2028 »
    signature: str  # « Signé le 15 février 2024 » or ""
    status: str  # the campaign's state, « Validée par le COPIL le … »
    generated_on: str
    is_demo: bool
    demo_label: str = DEMO_LABEL
    demo_notice: str = DEMO_NOTICE
    counted_note: str = COUNTED_NOTE


@dataclass(frozen=True)
class KeyFigure:
    label: str
    value: str
    detail: str


@dataclass(frozen=True)
class ProgressRow:
    """A group's figures for one year: the contract, a section, an organisation, a public."""

    key: Hashable
    number: str
    label: str
    year: int
    rate: Fraction | None
    rate_label: str  # « 42,5 % » or why there is no rate
    coverage: str  # « 12 fiches renseignées sur 14 »
    rated: int
    expected: int
    actions_due: int
    actions_done: rollups.Exact
    actions_label: str
    objectives_reached: int
    objectives_answered: int
    objectives_label: str

    @property
    def full_label(self) -> str:
        return f"{self.number}. {self.label}" if self.number else self.label

    @property
    def objectives_short(self) -> str:
        """'12 sur 40' (fiches reaching their objective out of those answering), or '—'."""
        if self.objectives_label == "—":
            return "—"
        return f"{self.objectives_reached} sur {self.objectives_answered}"


@dataclass(frozen=True)
class SectionLevel:
    """The sections of one depth (the ambitions, the general objectives) and their chart."""

    depth: int
    name: str  # « Ambition »
    heading: str  # « Avancement par ambition »
    rows: tuple[ProgressRow, ...]
    chart: Chart


@dataclass(frozen=True)
class ActionLine:
    letter: str
    text: str
    deadline: str
    done: str | None
    done_label: str
    comment: str


@dataclass(frozen=True)
class IndicatorLine:
    id: Hashable
    kind: str
    kind_label: str
    letters: str
    text: str
    value: str  # this year's value as typed (number with unit, or text); "—" when none
    number: Decimal | None
    unit: str
    baseline: str
    target: str
    change: str  # from the previous year, or why not
    change_absolute: Decimal | None
    change_relative: Fraction | None
    computed: bool  # a monitoring indicator computed from a result indicator
    source: str  # where the figure comes from (the roll-ups' matching reason)
    series: tuple[str, ...]  # value label per year of the report
    overall: str  # first to last year with a value


@dataclass(frozen=True)
class ErratumLine:
    fiche: str  # « n°2 — Soutenir la parentalité », or « Campagne »
    year_label: str
    field_label: str
    before: str
    after: str
    reason: str
    recorded_on: str


@dataclass(frozen=True)
class DecisionLine:
    fiche_number: str
    fiche_title: str
    year: int
    year_label: str
    kind: str
    kind_label: str
    reason: str
    new_action: str
    decided_on: str


@dataclass(frozen=True)
class FicheSection:
    id: Hashable
    number: str
    title: str
    section: str
    pilots: tuple[str, ...]
    status: str
    status_label: str
    transmitted: bool
    state: str
    notes: tuple[str, ...]
    rate: int | None
    rate_label: str
    objective_label: str
    actions_label: str
    actions: tuple[ActionLine, ...]  # due this year
    not_due: int  # actions of the fiche not due this year
    indicators: tuple[IndicatorLine, ...]
    obstacles: str
    comment: str
    decision: DecisionLine | None

    @property
    def heading(self) -> str:
        return f"Fiche n°{self.number} — {self.title}"


@dataclass(frozen=True)
class LateFiche:
    number: str
    title: str
    pilots: tuple[str, ...]
    status_label: str


@dataclass(frozen=True)
class AnnualReport:
    slug: str
    year: int
    year_label: str
    cover: Cover
    key_figures: tuple[KeyFigure, ...]
    contract: ProgressRow
    section_levels: tuple[SectionLevel, ...]
    pilots: tuple[ProgressRow, ...]
    partners: tuple[ProgressRow, ...]
    publics: tuple[ProgressRow, ...]
    fiches: tuple[FicheSection, ...]
    late: tuple[LateFiche, ...]
    decisions: tuple[DecisionLine, ...]
    errata: tuple[ErratumLine, ...] = ()

    @property
    def is_demo(self) -> bool:
        return self.cover.is_demo

    @property
    def filename(self) -> str:
        demo = "-demonstration" if self.is_demo else ""
        return f"rapport-annuel-{self.slug}-annee-{self.year}{demo}"


@dataclass(frozen=True)
class YearColumn:
    year: int
    label: str  # « Année 1 (2024) »
    has_campaign: bool
    is_demo: bool


@dataclass(frozen=True)
class TrajectoryPoint:
    year: int
    state: str
    state_label: str
    rate: int | None
    rate_label: str
    objective_label: str
    actions_label: str
    notes: tuple[str, ...]


@dataclass(frozen=True)
class FicheTrajectory:
    id: Hashable
    number: str
    title: str
    section: str
    pilots: tuple[str, ...]
    points: tuple[TrajectoryPoint, ...]
    summary: str  # « de 20 % (année 1) à 80 % (année 5) »
    indicators: tuple[IndicatorLine, ...]
    decisions: tuple[DecisionLine, ...]

    @property
    def heading(self) -> str:
        return f"Fiche n°{self.number} — {self.title}"


@dataclass(frozen=True)
class SectionTrajectory:
    number: str
    label: str
    depth: int
    points: tuple[ProgressRow, ...]


@dataclass(frozen=True)
class FinalReport:
    slug: str
    cover: Cover
    years: tuple[YearColumn, ...]
    key_figures: tuple[KeyFigure, ...]
    contract: tuple[ProgressRow, ...]  # one per year
    sections: tuple[SectionTrajectory, ...]  # the first level (ambitions)
    chart: Chart
    fiches: tuple[FicheTrajectory, ...]
    decisions: tuple[DecisionLine, ...]

    @property
    def is_demo(self) -> bool:
        return self.cover.is_demo

    @property
    def filename(self) -> str:
        demo = "-demonstration" if self.is_demo else ""
        return f"evaluation-finale-{self.slug}{demo}"


# --- Building -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Built:
    """The roll-ups' inputs and outputs for a range of years."""

    rollup: rollups.PlanRollup
    paths: Mapping[Hashable, tuple[Hashable, ...]]
    matches: Mapping[Hashable, rollups.IndicatorMatch]


def _weight(value: rollups.Exact | Decimal) -> rollups.Exact:
    return rollups.exact_weight(value)


def _roll(data: PlanData, years: Sequence[int]) -> _Built:
    sections = [
        rollups.SectionInput(s.id, s.parent_id, s.title, _weight(s.weight)) for s in data.sections
    ]
    paths = rollups.section_paths(sections)
    fiches = []
    matches: dict[Hashable, rollups.IndicatorMatch] = {}
    for fiche in data.fiches:
        fiche_input = rollups.FicheInput(
            fiche.id,
            fiche.number,
            section_path=paths[fiche.section_id] if fiche.section_id is not None else (),
            pilots=fiche.pilots,
            partners=fiche.partners,
            public=fiche.public,
            publics=plan_publics.resolve(fiche.public, data.public_vocabulary),
            weight=_weight(fiche.weight),
            stopped_year=fiche.stopped_year,
            actions=[rollups.ActionInput(a.id, a.letter, a.deadline_years) for a in fiche.actions],
            indicators=[
                rollups.IndicatorInput(i.id, i.kind, i.letters, i.text) for i in fiche.indicators
            ],
            title=fiche.title,
        )
        fiches.append(fiche_input)
        matches.update(rollups.match_monitoring(fiche_input))
    reports = []
    wanted = set(years)
    for campaign in data.campaigns:
        if campaign.year not in wanted:
            continue
        for report in campaign.reports.values():
            if not report.counted:
                continue
            reports.append(
                rollups.ReportInput(
                    report.fiche_id,
                    campaign.year,
                    progress_rate=report.progress_rate,
                    objective_reached=report.objective_reached,
                    actions_done={k: (done or None) for k, (done, _) in report.actions.items()},
                    values={k: v.number for k, v in report.values.items() if v.number is not None},
                )
            )
    plan = rollups.PlanInput(sections, fiches, tuple(years))
    return _Built(rollups.roll_up(plan, reports), paths, matches)


def _row(aggregate: Aggregate, number: str = "", label: str | None = None) -> ProgressRow:
    rate, actions = aggregate.rate, aggregate.actions
    return ProgressRow(
        key=aggregate.key,
        number=number,
        label=aggregate.label if label is None else label,
        year=aggregate.year,
        rate=rate.value,
        rate_label=rate.display(),
        coverage=rate.coverage_label(),
        rated=rate.rated,
        expected=rate.expected,
        actions_due=actions.due,
        actions_done=actions.done,
        actions_label=actions.label(),
        objectives_reached=aggregate.objectives_reached,
        objectives_answered=aggregate.objectives_answered,
        objectives_label=aggregate.objectives_label(),
    )


def _section_titles(data: PlanData) -> dict[Hashable, str]:
    return {s.id: s.label for s in data.sections}


def _decision_lines(data: PlanData, years: Sequence[int]) -> list[DecisionLine]:
    fiches = {f.id: f for f in data.fiches}
    order = {f.id: i for i, f in enumerate(data.fiches)}
    lines = []
    for decision in sorted(
        (d for d in data.decisions if d.year in years and d.fiche_id in fiches),
        key=lambda d: (d.year, order[d.fiche_id]),
    ):
        fiche = fiches[decision.fiche_id]
        lines.append(
            DecisionLine(
                fiche_number=fiche.number,
                fiche_title=fiche.title,
                year=decision.year,
                year_label=data.year_label(decision.year),
                kind=decision.kind,
                kind_label=decision.kind_label,
                reason=decision.reason,
                new_action=decision.new_action,
                decided_on=fr_date(decision.decided_on),
            )
        )
    return lines


def _errata_lines(data: PlanData, years: Sequence[int]) -> list[ErratumLine]:
    """The corrections of the given years, in the order they were recorded."""
    fiches = {f.id: f for f in data.fiches}
    lines = []
    for erratum in data.errata:
        if erratum.year not in years:
            continue
        fiche = fiches.get(erratum.fiche_id)
        lines.append(
            ErratumLine(
                fiche=f"n°{fiche.number} — {fiche.title}" if fiche else "Campagne",
                year_label=data.year_label(erratum.year),
                field_label=erratum.field_label,
                before=erratum.before,
                after=erratum.after,
                reason=erratum.reason,
                recorded_on=fr_date(erratum.recorded_on),
            )
        )
    return lines


def _value_series(
    data: PlanData, fiche: FicheData, indicator: IndicatorData, years: Sequence[int]
) -> list[ValueData | None]:
    out = []
    for year in years:
        campaign = data.campaign(year)
        report = campaign.reports.get(fiche.id) if campaign else None
        out.append(report.values.get(indicator.id) if report and report.counted else None)
    return out


def _indicator_line(
    data: PlanData,
    built: _Built,
    fiche: FicheData,
    indicator: IndicatorData,
    years: Sequence[int],
) -> IndicatorLine:
    evolution = built.rollup.indicators[indicator.id]
    typed = _value_series(data, fiche, indicator, years)
    current = typed[-1]
    match = built.matches.get(indicator.id)
    computed = evolution.computed
    last_change = evolution.changes[-1] if evolution.changes else None
    if computed:
        # An « Évolution du nombre de… » is not typed: its figure is the change of its result.
        series = ("—", *(c.display() if c.absolute is not None else "—" for c in evolution.changes))
        value = last_change.display() if last_change else "pas d’année précédente"
        change = value
    else:
        series = tuple(v.label() if v is not None else "—" for v in typed)
        value = current.label() if current is not None else "—"
        if len(years) < 2:
            change = "pas d’année précédente"
        elif current is not None and current.number is None and current.text:
            change = "valeur en texte : pas d’évolution calculée"
        else:
            change = last_change.display() if last_change else "—"
    overall = evolution.overall
    return IndicatorLine(
        id=indicator.id,
        kind=indicator.kind,
        kind_label=KIND_LABELS.get(indicator.kind, indicator.kind),
        letters=", ".join(indicator.letters),
        text=indicator.text,
        value=value,
        number=current.number if current is not None and not computed else None,
        unit=current.unit if current is not None else "",
        baseline=current.baseline if current is not None else "",
        target=current.target if current is not None else "",
        change=change,
        change_absolute=last_change.absolute if last_change else None,
        change_relative=last_change.relative if last_change else None,
        computed=computed,
        source=match.reason if match else evolution.match_reason,
        series=series,
        overall=overall.display() if overall else "moins de deux années renseignées",
    )


def _sorted_indicators(fiche: FicheData) -> list[IndicatorData]:
    # Result indicators first, as on the paper fiche, then the monitoring ones.
    return sorted(fiche.indicators, key=lambda i: i.kind != RESULT)


def _progress_rows(groups: Mapping[Hashable, Aggregate]) -> tuple[ProgressRow, ...]:
    rows = [_row(a) for a in groups.values()]
    return tuple(sorted(rows, key=lambda r: rollups.fold(r.label)))


def annual_report(data: PlanData, year: int, today: date) -> AnnualReport:
    """The evaluation report of contract year `year` (its campaign must exist).

    Indicator changes compare with the earlier years; later years are left out, so that the
    report of a year reads the same when produced again afterwards.
    """
    campaign = data.campaign(year)
    if campaign is None:
        raise ValueError(f"no campaign for year {year}")
    years = tuple(range(1, year + 1))
    built = _roll(data, years)
    rolled = built.rollup.years[year]
    contract = _row(rolled.contract, label="Ensemble du contrat")
    titles = _section_titles(data)
    year_label = data.year_label(year)

    levels = []
    for depth in sorted({s.depth for s in data.sections})[:2]:
        name = data.level_name(depth)
        rows = tuple(
            _row(rolled.sections[s.id], s.number, s.title)
            for s in data.sections
            if s.depth == depth
        )
        chart = bar_chart(
            f"avancement-niveau-{depth + 1}",
            f"Taux d’avancement par {name.lower()} — {year_label.lower()}",
            [
                Bar(
                    r.full_label,
                    r.rate,
                    (r.coverage, r.actions_label),
                    missing=r.rate_label,
                )
                for r in rows
            ],
            label_heading=name,
            extra_headings=("Couverture", "Actions prévues cette année"),
        )
        levels.append(SectionLevel(depth, name, f"Avancement par {name.lower()}", rows, chart))

    decisions = _decision_lines(data, (year,))
    decision_by_fiche = {d.fiche_number: d for d in decisions}
    fiches, late = [], []
    for fiche in data.fiches:
        fy = rolled.fiches[fiche.id]
        report = campaign.reports.get(fiche.id)
        status = report.status if report else "to_do"
        status_label = report.status_label if report else TO_DO_LABEL
        transmitted = bool(report and report.counted)
        if fy.counted and not transmitted:
            late.append(LateFiche(fiche.number, fiche.title, fiche.pilots, status_label))
        actions = []
        for action in fiche.actions:
            if year not in action.deadline_years:
                continue
            done, comment = report.actions.get(action.id, ("", "")) if transmitted else ("", "")
            actions.append(
                ActionLine(
                    action.letter,
                    action.text,
                    action.deadline_as_written,
                    done or None,
                    DONE_LABELS.get(done or "", "Sans réponse"),
                    comment,
                )
            )
        indicators = tuple(
            _indicator_line(data, built, fiche, indicator, years)
            for indicator in _sorted_indicators(fiche)
        )
        fiches.append(
            FicheSection(
                id=fiche.id,
                number=fiche.number,
                title=fiche.title,
                section=titles.get(fiche.section_id, ""),
                pilots=fiche.pilots,
                status=status,
                status_label=status_label,
                transmitted=transmitted,
                state=fy.state,
                notes=fy.notes,
                rate=fy.rate,
                rate_label=format_percent(fy.rate, empty="non renseigné"),
                objective_label=yes_no(fy.objective_reached),
                actions_label=fy.actions.label(),
                actions=tuple(actions),
                not_due=len(fiche.actions) - len(actions),
                indicators=indicators,
                obstacles=report.obstacles if transmitted else "",
                comment=report.comment if transmitted else "",
                decision=decision_by_fiche.get(fiche.number),
            )
        )

    reported = sum(1 for f in fiches if f.transmitted and f.state == EXPECTED)
    expected = rolled.contract.rate.expected
    actions = rolled.contract.actions
    key_figures = (
        KeyFigure("Taux d’avancement du contrat", contract.rate_label, contract.coverage),
        KeyFigure(
            "Fiches transmises",
            f"{reported} sur {expected}",
            "aucune fiche en retard"
            if not late
            else plural(len(late), "fiche en retard", "fiches en retard"),
        ),
        KeyFigure(
            "Actions réalisées",
            f"{fr_count(actions.done)} sur {actions.due}",
            actions.label(),
        ),
        KeyFigure(
            "Objectifs atteints",
            f"{rolled.contract.objectives_reached} sur {rolled.contract.objectives_answered}",
            contract.objectives_label,
        ),
    )
    cover = Cover(
        title="Rapport annuel d’évaluation",
        plan_title=data.title,
        plan_kind=data.kind_label,
        territory=data.territory,
        subtitle=year_label,
        period=_period(data),
        signature=_signature(data),
        status=_campaign_status(campaign),
        generated_on=fr_date(today),
        is_demo=campaign.is_demo,
    )
    return AnnualReport(
        slug=data.slug,
        year=year,
        year_label=year_label,
        cover=cover,
        key_figures=key_figures,
        contract=contract,
        section_levels=tuple(levels),
        pilots=_progress_rows(rolled.pilots),
        partners=_progress_rows(rolled.partners),
        publics=_progress_rows(rolled.publics),
        fiches=tuple(fiches),
        late=tuple(late),
        decisions=tuple(decisions),
        errata=tuple(_errata_lines(data, (year,))),
    )


def _period(data: PlanData) -> str:
    if not data.start_year:
        return f"{data.duration_years} ans"
    return f"{data.start_year} à {data.start_year + data.duration_years - 1}"


def _signature(data: PlanData) -> str:
    return f"Signé le {fr_date(data.signature_date)}" if data.signature_date else ""


def _campaign_status(campaign: CampaignData) -> str:
    if campaign.validated_on:
        return f"Évaluation validée par le COPIL le {fr_date(campaign.validated_on)}"
    if campaign.frozen_at:
        return f"Campagne figée le {fr_date(campaign.frozen_at)}, en attente du COPIL"
    deadline = f", saisie jusqu’au {fr_date(campaign.deadline)}" if campaign.deadline else ""
    return f"Campagne {campaign.status_label.lower()}{deadline} : chiffres provisoires"


def _trajectory_summary(points: Sequence[TrajectoryPoint]) -> str:
    rated = [p for p in points if p.rate is not None]
    if not rated:
        return "aucun taux d’avancement renseigné"
    first, last = rated[0], rated[-1]
    if first is last:
        return f"{first.rate_label} en année {first.year}"
    return f"de {first.rate_label} (année {first.year}) à {last.rate_label} (année {last.year})"


def final_report(data: PlanData, today: date) -> FinalReport:
    """The final evaluation: every year of the plan, each fiche's trajectory and the contract's."""
    years = tuple(range(1, data.duration_years + 1))
    built = _roll(data, years)
    rollup = built.rollup
    titles = _section_titles(data)
    columns = tuple(
        YearColumn(
            y,
            data.year_label(y),
            data.campaign(y) is not None,
            bool(data.campaign(y) and data.campaign(y).is_demo),
        )
        for y in years
    )
    contract = tuple(
        _unfollowed(data, _row(a, label="Ensemble du contrat")) for a in rollup.contract_trajectory
    )
    top = min((s.depth for s in data.sections), default=0)
    sections = tuple(
        SectionTrajectory(
            s.number,
            s.title,
            s.depth,
            tuple(
                _unfollowed(data, _row(a, s.number, s.title))
                for a in rollup.section_trajectory(s.id)
            ),
        )
        for s in data.sections
        if s.depth == top
    )
    name = data.level_name(top).lower() if data.sections else ""
    chart = line_chart(
        "trajectoire-contrat",
        "Taux d’avancement année après année"
        + (f" : le contrat et chaque {name}" if sections else " : le contrat"),
        [c.label for c in columns],
        [
            Series("Ensemble du contrat", tuple(r.rate for r in contract)),
            *(
                Series(
                    f"{s.number}. {s.label}" if s.number else s.label,
                    tuple(p.rate for p in s.points),
                )
                for s in sections
            ),
        ],
        label_heading="Taux d’avancement",
    )
    decisions = _decision_lines(data, years)
    fiches = []
    for fiche in data.fiches:
        points = tuple(
            TrajectoryPoint(
                year=fy.year,
                state=fy.state,
                state_label=STATE_LABELS.get(fy.state, fy.state),
                rate=fy.rate,
                rate_label=_trajectory_rate(data, fy),
                objective_label=yes_no(fy.objective_reached, empty="—"),
                actions_label=fy.actions.label()
                if fy.counted and data.campaign(fy.year) is not None
                else "—",
                notes=fy.notes,
            )
            for fy in rollup.trajectories[fiche.id]
        )
        fiches.append(
            FicheTrajectory(
                id=fiche.id,
                number=fiche.number,
                title=fiche.title,
                section=titles.get(fiche.section_id, ""),
                pilots=fiche.pilots,
                points=points,
                summary=_trajectory_summary(points),
                indicators=tuple(
                    _indicator_line(data, built, fiche, indicator, years)
                    for indicator in _sorted_indicators(fiche)
                ),
                decisions=tuple(d for d in decisions if d.fiche_number == fiche.number),
            )
        )
    with_data = [r for r in contract if r.rate is not None]
    last = with_data[-1] if with_data else contract[-1]
    first = with_data[0] if with_data else contract[0]
    key_figures = (
        KeyFigure(
            "Taux d’avancement du contrat",
            last.rate_label,
            f"{data.year_label(last.year).lower()} ; {last.coverage}",
        ),
        KeyFigure(
            "Trajectoire du contrat",
            _trajectory_summary(
                [
                    TrajectoryPoint(r.year, EXPECTED, "", r.rate, r.rate_label, "", "", ())
                    for r in (first, last)
                    if r.rate is not None
                ]
            ),
            f"{plural(sum(c.has_campaign for c in columns), 'année suivie', 'années suivies')}"
            f" sur {len(columns)}",
        ),
        KeyFigure(
            "Décisions du COPIL",
            str(len(decisions)),
            ", ".join(
                f"{k} : {n}" for k, n in sorted(_count(d.kind_label for d in decisions).items())
            )
            or "aucune décision enregistrée",
        ),
    )
    is_demo = any(c.is_demo for c in data.campaigns)
    cover = Cover(
        title="Évaluation finale du contrat",
        plan_title=data.title,
        plan_kind=data.kind_label,
        territory=data.territory,
        subtitle=f"Années 1 à {data.duration_years}"
        + (f" ({_period(data)})" if data.start_year else ""),
        period=_period(data),
        signature=_signature(data),
        status=_final_status(data, columns),
        generated_on=fr_date(today),
        is_demo=is_demo,
    )
    return FinalReport(
        slug=data.slug,
        cover=cover,
        years=columns,
        key_figures=key_figures,
        contract=contract,
        sections=sections,
        chart=chart,
        fiches=tuple(fiches),
        decisions=tuple(decisions),
    )


def _unfollowed(data: PlanData, row: ProgressRow) -> ProgressRow:
    """A year without a campaign says so, rather than « 0 fiche renseignée »: nobody was asked."""
    if data.campaign(row.year) is not None:
        return row
    return replace(
        row, rate_label=NO_CAMPAIGN, coverage="—", actions_label="—", objectives_label="—"
    )


def _count(labels) -> dict[str, int]:
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    return counts


def _trajectory_rate(data: PlanData, fy: rollups.FicheYear) -> str:
    if not fy.counted:
        return STATE_LABELS.get(fy.state, fy.state)
    if data.campaign(fy.year) is None:
        return NO_CAMPAIGN
    return format_percent(fy.rate, empty="non renseigné")


def _final_status(data: PlanData, columns: Sequence[YearColumn]) -> str:
    validated = [c for c in data.campaigns if c.validated_on]
    missing = [c.year for c in columns if not c.has_campaign]
    parts = []
    if validated:
        parts.append(plural(len(validated), "année validée", "années validées") + " par le COPIL")
    if missing:
        parts.append("sans campagne : " + ", ".join(f"année {y}" for y in missing))
    return " ; ".join(parts).capitalize() if parts else "Toutes les années ont leur campagne"
