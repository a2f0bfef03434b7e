"""Roll-ups of the yearly follow-up: pure functions, tested without a database."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pilotis.followup.rollups import (
    MONITORING,
    NO_ACTION_DUE,
    NOTE_NO_REPORT,
    NOTE_REACHED_WITHOUT_RATE,
    REASON_NO_FICHE,
    REASON_NO_RATE,
    REASON_ZERO_WEIGHT,
    RESULT,
    STOPPED,
    ActionInput,
    ActionTally,
    FicheInput,
    IndicatorInput,
    PlanInput,
    ReportInput,
    SectionInput,
    change,
    format_number,
    format_percent,
    format_ratio,
    indicator_evolutions,
    match_monitoring,
    public_categories,
    roll_up,
    roll_up_year,
    round_tenth,
    section_paths,
)

RATES = (0, 20, 40, 60, 80, 100)
SECTIONS = (
    SectionInput("A1", None, "Ambition 1"),
    SectionInput("A1.O1", "A1", "Objectif 1.1"),
    SectionInput("A1.O2", "A1", "Objectif 1.2"),
    SectionInput("A2", None, "Ambition 2"),
    SectionInput("A2.O1", "A2", "Objectif 2.1"),
)
PATHS = section_paths(SECTIONS)


def fiche(fiche_id, section="A1.O1", **kwargs):
    return FicheInput(fiche_id, str(fiche_id), section_path=PATHS[section], **kwargs)


def rated(fiche_id, rate, year=1, **kwargs):
    return ReportInput(fiche_id, year, progress_rate=rate, **kwargs)


# --- Hypothesis: the properties every roll-up keeps ---------------------------------------------

weights = st.one_of(
    st.integers(min_value=0, max_value=5),
    st.fractions(min_value=0, max_value=5, max_denominator=7),
)


@st.composite
def plans(draw, min_fiches=1):
    """A plan of the five sections above, random fiches with weights, and year-1 reports."""
    count = draw(st.integers(min_value=min_fiches, max_value=12))
    fiches, reports = [], []
    for i in range(count):
        section = draw(st.sampled_from([None, *PATHS]))
        fiches.append(
            FicheInput(
                i,
                str(i),
                section_path=PATHS[section] if section else (),
                pilots=tuple(draw(st.sets(st.sampled_from("abc"), max_size=3))),
                public=draw(st.sampled_from(["tout public", "Jeunes, parents", "parents"])),
                weight=draw(weights),
            )
        )
        rate = draw(st.one_of(st.none(), st.sampled_from(RATES)))
        if draw(st.booleans()):
            reports.append(ReportInput(i, 1, progress_rate=rate))
    return PlanInput(SECTIONS, fiches), reports


def rates_under(plan, reports, section_id):
    """(rate, weight in the section) of the rated fiches under a section, computed naively."""
    rates = {r.fiche_id: r.progress_rate for r in reports if r.progress_rate is not None}
    weights_by_id = {s.id: s.weight for s in SECTIONS}
    out = []
    for f in plan.fiches:
        if f.fiche_id in rates and (section_id is None or section_id in f.section_path):
            start = f.section_path.index(section_id) + 1 if section_id else 0
            weight = Fraction(f.weight)
            for inner in f.section_path[start:]:
                weight *= weights_by_id[inner]
            out.append((rates[f.fiche_id], weight))
    return out


@settings(max_examples=200, deadline=None)
@given(plans())
def test_a_section_rate_lies_between_its_fiches_rates(data):
    plan, reports = data
    year = roll_up_year(plan, reports, 1)
    for key in [None, *PATHS]:
        aggregate = year.sections[key] if key else year.contract
        counted = [r for r, w in rates_under(plan, reports, key) if w > 0]
        if counted:
            assert min(counted) <= aggregate.rate.value <= max(counted)
        else:
            assert aggregate.rate.value is None and aggregate.rate.reason


@settings(max_examples=200, deadline=None)
@given(plans())
def test_with_equal_weights_the_rate_is_the_arithmetic_mean(data):
    plan, reports = data
    plan = PlanInput(SECTIONS, [FicheInput(**{**vars(f), "weight": 1}) for f in plan.fiches])
    year = roll_up_year(plan, reports, 1)
    for key in [None, *PATHS]:
        aggregate = year.sections[key] if key else year.contract
        values = [r for r, _ in rates_under(plan, reports, key)]
        if values:
            assert aggregate.rate.value == Fraction(sum(values), len(values))
            assert aggregate.rate.rated == len(values)


@settings(max_examples=200, deadline=None)
@given(plans())
def test_the_rate_is_the_weighted_mean_of_the_fiches_beneath(data):
    plan, reports = data
    year = roll_up_year(plan, reports, 1)
    for key in [None, *PATHS]:
        aggregate = year.sections[key] if key else year.contract
        pairs = rates_under(plan, reports, key)
        total = sum(w for _, w in pairs)
        if total:
            assert aggregate.rate.value == sum(r * w for r, w in pairs) / total
        elif pairs:
            assert aggregate.rate.reason == REASON_ZERO_WEIGHT


def figures(rollup):
    """The figures of a year, independent of the order of fiches."""
    groups = {"contract": {None: rollup.contract}, "sections": rollup.sections}
    groups |= {"pilots": rollup.pilots, "partners": rollup.partners, "publics": rollup.publics}
    return {
        (name, key): (a.rate, a.actions, a.objectives_reached, a.label, sorted(a.fiche_ids))
        for name, group in groups.items()
        for key, a in group.items()
    }


@settings(max_examples=200, deadline=None)
@given(plans(min_fiches=2), st.randoms())
def test_permuting_fiches_and_reports_changes_nothing(data, random):
    plan, reports = data
    fiches, shuffled = list(plan.fiches), list(reports)
    random.shuffle(fiches)
    random.shuffle(shuffled)
    permuted = PlanInput(SECTIONS, fiches)
    assert figures(roll_up_year(permuted, shuffled, 1)) == figures(roll_up_year(plan, reports, 1))


@settings(max_examples=200, deadline=None)
@given(plans(), st.sampled_from([None, *PATHS]), st.sampled_from(RATES))
def test_a_fiche_of_weight_zero_changes_no_rate(data, section, rate):
    plan, reports = data
    extra = FicheInput(
        "zero", "99", section_path=PATHS[section] if section else (), pilots=("a",), weight=0
    )
    bigger = PlanInput(SECTIONS, [*plan.fiches, extra])
    before = roll_up_year(plan, reports, 1)
    after = roll_up_year(bigger, [*reports, ReportInput("zero", 1, progress_rate=rate)], 1)
    for key in [None, *PATHS]:
        old, new = (
            (before.sections[key], after.sections[key])
            if key
            else (before.contract, after.contract)
        )
        if old.rate.value is not None:
            assert new.rate.value == old.rate.value
        else:
            # Alone, a fiche of weight 0 gives no rate either, only a clearer reason.
            assert new.rate.value is None
    if before.pilots.get("a") and before.pilots["a"].rate.value is not None:
        assert after.pilots["a"].rate.value == before.pilots["a"].rate.value


@settings(max_examples=200, deadline=None)
@given(plans())
def test_coverage_counts_every_expected_fiche(data):
    plan, reports = data
    year = roll_up_year(plan, reports, 1)
    with_rate = sum(r.progress_rate is not None for r in reports)
    assert year.contract.rate.expected == len(plan.fiches)
    assert year.contract.rate.rated == with_rate
    assert year.contract.rate.missing == len(plan.fiches) - with_rate
    assert sum(fy.missing for fy in year.fiches.values()) == len(plan.fiches) - with_rate


@settings(max_examples=200, deadline=None)
@given(plans(), st.sampled_from(["A1", "A2"]), weights)
def test_a_section_weight_does_not_change_its_own_rate(data, section, weight):
    plan, reports = data
    reweighted = tuple(
        SectionInput(s.id, s.parent_id, s.title, weight if s.id == section else s.weight)
        for s in SECTIONS
    )
    before = roll_up_year(plan, reports, 1)
    after = roll_up_year(PlanInput(reweighted, plan.fiches), reports, 1)
    for key in PATHS:
        if key == section or key.startswith(section + "."):
            assert after.sections[key].rate == before.sections[key].rate


@given(
    st.decimals(min_value=-(10**6), max_value=10**6, places=2),
    st.decimals(min_value=-(10**6), max_value=10**6, places=2),
)
def test_a_change_adds_up(previous, value):
    result = change(1, previous, 2, value)
    assert previous + result.absolute == value
    if previous:
        assert result.relative * abs(Fraction(previous)) == Fraction(value - previous)
    else:
        assert result.relative is None and result.reason


@given(st.fractions(min_value=-1000, max_value=1000))
def test_display_rounds_to_the_nearest_tenth(value):
    assert abs(Fraction(round_tenth(value)) - value) <= Fraction(1, 20)


# --- Examples: progress of sections, the contract, organisations and publics --------------------


def test_sections_roll_up_through_the_tree_and_section_weights_count_above():
    sections = (
        SectionInput("A1", None, "Ambition 1"),
        SectionInput("A1.O1", "A1", "Objectif 1.1", weight=3),
        SectionInput("A1.O2", "A1", "Objectif 1.2"),
        SectionInput("A2", None, "Ambition 2"),
    )
    paths = section_paths(sections)
    fiches = [
        FicheInput(1, "1", section_path=paths["A1.O1"]),
        FicheInput(2, "2", section_path=paths["A1.O1"], weight=2),
        FicheInput(3, "3", section_path=paths["A1.O2"]),
        FicheInput(4, "4", section_path=paths["A2"]),
        FicheInput(5, "5"),  # outside any section: counts for the contract only
    ]
    reports = [rated(1, 20), rated(2, 80), rated(3, 40), rated(4, 100), rated(5, 0)]
    year = roll_up_year(PlanInput(sections, fiches), reports, 1)
    # Inside objective 1.1: (1 × 20 + 2 × 80) / 3 = 60.
    assert year.sections["A1.O1"].rate.value == 60
    # In ambition 1, objective 1.1 weighs 3: (3 × 20 + 6 × 80 + 1 × 40) / (3 + 6 + 1) = 58.
    assert year.sections["A1"].rate.value == 58
    assert year.sections["A2"].rate.value == 100
    # Contract: (60 + 480 + 40 + 100 + 0) / (3 + 6 + 1 + 1 + 1) = 680 / 12.
    assert year.contract.rate.value == Fraction(680, 12)
    assert year.contract.rate.display() == "56,7\u00a0%"
    assert year.contract.fiche_ids == (1, 2, 3, 4, 5)
    assert year.sections["A1"].fiche_ids == (1, 2, 3)


def test_a_section_without_fiches_says_so():
    year = roll_up_year(PlanInput(SECTIONS, [fiche(1)]), [rated(1, 40)], 1)
    assert year.sections["A2"].rate.value is None
    assert year.sections["A2"].rate.reason == REASON_NO_FICHE
    assert year.sections["A2"].rate.display() == REASON_NO_FICHE


def test_every_co_pilot_counts_the_whole_fiche():
    fiches = [
        fiche(1, pilots=("caf", "cd", "cls")),
        fiche(2, pilots=("caf",), partners=("ars", "cpam")),
        fiche(3, pilots=("cpam",), partners=("ars",), weight=0),
    ]
    reports = [rated(1, 40), rated(2, 80), rated(3, 20)]
    year = roll_up_year(PlanInput(SECTIONS, fiches), reports, 1)
    assert year.pilots["caf"].rate.value == 60
    assert year.pilots["cd"].rate.value == 40
    assert year.pilots["cls"].rate.value == 40
    assert year.pilots["cd"].fiche_ids == (1,)
    # The fiche's weight holds for its organisations too.
    assert year.pilots["cpam"].rate.reason == REASON_ZERO_WEIGHT
    assert year.partners["ars"].rate.value == 80
    assert year.partners["ars"].rate.rated == 2
    assert year.partners["cpam"].fiche_ids == (2,)


def test_an_organisation_named_twice_counts_the_fiche_once():
    year = roll_up_year(PlanInput(SECTIONS, [fiche(1, pilots=("caf", "caf"))]), [rated(1, 40)], 1)
    assert year.pilots["caf"].rate.expected == 1


def test_target_publics_are_grouped_by_their_folded_text():
    fiches = [
        fiche(1, public="futurs parents, enfants, professionnels jeunesse"),
        fiche(2, public="Jeunes, enseignants, éducateurs jeunesse, Enfants"),
        fiche(3, public="", publics=("enfants", "aidants")),  # categories given by the view
    ]
    reports = [rated(1, 20), rated(2, 60), rated(3, 100)]
    year = roll_up_year(PlanInput(SECTIONS, fiches), reports, 1)
    assert year.publics["enfants"].rate.value == 60
    assert year.publics["enfants"].label == "Enfants"
    assert year.publics["educateurs jeunesse"].label == "éducateurs jeunesse"
    assert year.publics["aidants"].fiche_ids == (3,)


def test_public_categories_split_on_commas_outside_parentheses():
    assert public_categories(
        "professionnels de santé, dispositifs de soins non programmés (CH, SAS, SDIS, MMG, …),"
    ) == ("professionnels de santé", "dispositifs de soins non programmés (CH, SAS, SDIS, MMG, …)")
    assert public_categories("personnes de 60 ans et plus et leur entourage ") == (
        "personnes de 60 ans et plus et leur entourage",
    )
    assert public_categories("jeunes ; Jeunes\nparents, etc.") == ("jeunes", "parents")
    assert public_categories("") == ()


# --- Examples: the edge cases of docs/roll-ups.md -----------------------------------------------


def test_a_fiche_without_action_due_this_year_still_counts_its_rate():
    # Carcassonne fiche 2: actions B to G are due from year 2 only.
    actions = [ActionInput("B", "B", (2, 3, 4, 5)), ActionInput("C", "C", (2, 3, 4, 5))]
    year = roll_up_year(PlanInput(SECTIONS, [fiche(2, actions=actions)]), [rated(2, 20)], 1)
    assert year.contract.rate.value == 20
    tally = year.fiches[2].actions
    assert (tally.due, tally.done, tally.ratio) == (0, 0, None)
    assert tally.label() == NO_ACTION_DUE
    assert year.contract.actions.label() == NO_ACTION_DUE


def test_actions_due_and_done_partly_counts_half_and_missing_is_not_no():
    actions = [
        ActionInput(1, "A", (1, 2)),
        ActionInput(2, "B", (1,)),
        ActionInput(3, "C", (1,)),
        ActionInput(4, "D", (1,)),
        ActionInput(5, "E", (2,)),  # not due in year 1: done early, shown, not counted
    ]
    answers = {1: "yes", 2: "partly", 3: "no", 5: "yes"}
    report = ReportInput(1, 1, progress_rate=40, actions_done=answers)
    year = roll_up_year(PlanInput(SECTIONS, [fiche(1, actions=actions)]), [report], 1)
    tally = year.fiches[1].actions
    assert tally == ActionTally(due=4, yes=1, partly=1, no=1, unanswered=1, ahead=1)
    assert tally.done == Fraction(3, 2)
    assert tally.answered == 3
    assert tally.ratio == Fraction(1, 2)
    assert tally.label() == ("1,5 action réalisée sur 4 prévues (dont 1 en partie, 1 sans réponse)")
    assert format_ratio(tally.ratio) == "50,0\u00a0%"
    assert year.sections["A1"].actions == tally
    assert year.sections["A2"].actions == ActionTally()


def test_a_stopped_fiche_counts_the_year_it_stops_and_not_after():
    actions = [ActionInput("A", "A", (1, 2, 3, 4, 5))]
    fiches = [fiche(1, actions=actions, stopped_year=2), fiche(2)]
    reports = [
        rated(1, 20, 2, actions_done={"A": "no"}),
        rated(1, 100, 3),  # typed before the stop was recorded: ignored
        rated(2, 60, 2),
        rated(2, 80, 3),
    ]
    rollup = roll_up(PlanInput(SECTIONS, fiches), reports)
    assert rollup.years[2].contract.rate.value == 40
    assert rollup.years[2].contract.actions.due == 1
    year3 = rollup.years[3]
    assert year3.contract.rate.value == 80
    assert year3.contract.rate.expected == 1
    assert year3.contract.actions.due == 0
    assert year3.fiches[1].state == STOPPED
    assert not year3.fiches[1].counted and not year3.fiches[1].missing
    assert year3.fiches[1].notes == ("fiche arrêtée en année 2 : non comptée",)
    assert [fy.state for fy in rollup.trajectories[1]] == ["expected"] * 2 + [STOPPED] * 3


def test_a_fiche_added_later_is_not_expected_before_its_first_year():
    fiches = [fiche(1, first_year=3), fiche(2)]
    year = roll_up_year(PlanInput(SECTIONS, fiches), [rated(2, 40)], 1)
    assert year.contract.rate.expected == 1
    assert year.fiches[1].notes == ("fiche prévue à partir de l’année 3",)


def test_all_weights_zero_gives_no_rate_and_a_reason():
    fiches = [fiche(1, weight=0), fiche(2, weight=0.0)]
    year = roll_up_year(PlanInput(SECTIONS, fiches), [rated(1, 40), rated(2, 60)], 1)
    assert year.contract.rate.value is None
    assert year.contract.rate.reason == REASON_ZERO_WEIGHT
    assert year.contract.rate.rated == 2
    assert year.contract.rate.display() == REASON_ZERO_WEIGHT


def test_a_section_of_weight_zero_keeps_its_rate_but_not_its_ancestors():
    sections = (
        SectionInput("A1", None, "Ambition 1"),
        SectionInput("A1.O1", "A1", "Objectif 1.1", weight=0),
    )
    plan = PlanInput(sections, [FicheInput(1, "1", section_path=("A1", "A1.O1"))])
    year = roll_up_year(plan, [rated(1, 40)], 1)
    assert year.sections["A1.O1"].rate.value == 40
    assert year.sections["A1"].rate.reason == REASON_ZERO_WEIGHT


def test_a_year_without_any_report():
    fiches = [fiche(1), fiche(2)]
    rollup = roll_up(PlanInput(SECTIONS, fiches, years=(1, 2)), [rated(1, 40, 1), rated(2, 60, 1)])
    year2 = rollup.years[2]
    assert year2.contract.rate.value is None
    assert year2.contract.rate.reason == REASON_NO_RATE
    assert year2.contract.rate.coverage == 0
    assert year2.contract.rate.coverage_label() == "0 fiche renseignée sur 2"
    assert year2.fiches[1].missing and not year2.fiches[1].reported
    assert year2.fiches[1].notes == (NOTE_NO_REPORT,)


def test_a_rate_of_zero_counts_as_zero_and_a_missing_rate_does_not():
    fiches = [fiche(1), fiche(2)]
    zero = roll_up_year(PlanInput(SECTIONS, fiches), [rated(1, 0), rated(2, 100)], 1)
    missing = roll_up_year(PlanInput(SECTIONS, fiches), [rated(1, None), rated(2, 100)], 1)
    assert zero.contract.rate.value == 50
    assert zero.contract.rate.display() == "50,0\u00a0%"
    assert missing.contract.rate.value == 100
    assert missing.contract.rate.coverage == Fraction(1, 2)
    assert missing.fiches[1].reported and missing.fiches[1].missing


def test_objective_reached_without_a_rate_is_counted_apart():
    fiches = [fiche(1), fiche(2), fiche(3)]
    reports = [
        ReportInput(1, 1, progress_rate=None, objective_reached=True),
        ReportInput(2, 1, progress_rate=60, objective_reached=False),
        ReportInput(3, 1, progress_rate=100, objective_reached=True),
    ]
    year = roll_up_year(PlanInput(SECTIONS, fiches), reports, 1)
    assert year.contract.rate.value == 80
    assert year.contract.rate.rated == 2
    assert (year.contract.objectives_reached, year.contract.objectives_answered) == (2, 3)
    assert year.contract.objectives_label() == "objectif atteint : 2 fiches sur 3 ayant répondu"
    assert year.fiches[1].notes == (NOTE_REACHED_WITHOUT_RATE,)


def test_partial_reporting_shows_the_mean_with_its_coverage():
    fiches = [fiche(i) for i in range(1, 5)]
    year = roll_up_year(PlanInput(SECTIONS, fiches), [rated(1, 20), rated(2, 60)], 1)
    assert year.contract.rate.value == 40
    assert year.contract.rate.coverage == Fraction(1, 2)
    assert year.contract.rate.missing == 2
    assert year.contract.rate.coverage_label() == "2 fiches renseignées sur 4"


def test_trajectories_follow_each_fiche_over_the_years():
    reports = [rated(1, 20, 1), rated(1, 40, 2), rated(1, 40, 4)]
    rollup = roll_up(PlanInput(SECTIONS, [fiche(1)]), reports)
    assert [fy.rate for fy in rollup.trajectories[1]] == [20, 40, None, 40, None]
    assert [a.rate.value for a in rollup.contract_trajectory] == [20, 40, None, 40, None]
    assert [a.rate.value for a in rollup.section_trajectory("A1")] == [20, 40, None, 40, None]
    assert rollup.years[2] == roll_up_year(PlanInput(SECTIONS, [fiche(1)]), reports, 2)


# --- Examples: indicators -----------------------------------------------------------------------


def fiche_2():
    """Shaped like Carcassonne's fiche 2 "Soutenir la parentalité"."""
    return FicheInput(
        2,
        "2",
        section_path=PATHS["A1.O1"],
        pilots=("caf", "departement", "cls"),
        public="futurs parents, enfants, professionnels jeunesse",
        actions=[
            ActionInput(f"2{x}", x, (1, 2, 3, 4, 5) if x == "A" else (2, 3, 4, 5)) for x in "ABC"
        ],
        indicators=[
            IndicatorInput("r-A", RESULT, ["A"], "Programme déployé et nombre de bénéficiaires"),
            IndicatorInput("r-B", RESULT, ["B"], "Nombre de cours réalisés"),
            IndicatorInput("r-C", RESULT, ["C"], "Nombre de rencontres"),
            IndicatorInput("m-B", MONITORING, ["B"], "Evolution du nombre de cours"),
            IndicatorInput("m-C", MONITORING, ["C"], "Evolution du nombre de rencontres"),
        ],
    )


def test_the_evolution_of_courses_is_computed_from_the_result_values():
    reports = [
        ReportInput(2, 1, progress_rate=20, values={"r-A": 150}),
        ReportInput(2, 2, progress_rate=40, values={"r-B": 4, "r-C": 0}),
        # A value typed for the monitoring indicator is not used: it is computed.
        ReportInput(2, 3, progress_rate=60, values={"r-B": 6, "r-C": 3, "m-B": 99}),
        ReportInput(2, 4, progress_rate=60, values={"r-B": Decimal("4.5")}),
    ]
    evolutions = indicator_evolutions(PlanInput(SECTIONS, [fiche_2()]), reports)
    courses = evolutions["m-B"]
    assert courses.computed and courses.source_id == "r-B"
    assert (
        courses.match_reason == "calculé à partir de « Nombre de cours réalisés » (même action B)"
    )
    assert courses.values == (
        (1, None),
        (2, Decimal(4)),
        (3, Decimal(6)),
        (4, Decimal("4.5")),
        (5, None),
    )
    year1, year2, year3, year4 = courses.changes
    assert year1.absolute is None and year1.reason == "valeur manquante : année 1"
    assert (year2.absolute, year2.relative) == (Decimal(2), Fraction(1, 2))
    assert year2.display() == "+2 (+50,0\u00a0%)"
    assert (year3.absolute, year3.relative) == (Decimal("-1.5"), Fraction(-1, 4))
    assert year3.display() == "\u22121,5 (\u221225,0\u00a0%)"
    assert year4.reason == "valeur manquante : année 5"
    assert (courses.overall.previous_year, courses.overall.year) == (2, 4)
    assert courses.overall.absolute == Decimal("0.5")
    # The result indicator has the same evolution, from its own values.
    assert evolutions["r-B"].changes == courses.changes and not evolutions["r-B"].computed
    meetings = evolutions["m-C"].changes[1]
    assert meetings.absolute == 3 and meetings.relative is None
    assert meetings.reason == "évolution relative non définie (valeur précédente nulle)"
    assert evolutions["r-A"].overall is None


def test_values_stored_with_four_decimals_display_as_typed():
    # IndicatorValue.value_number has four decimal places: 4 comes back as Decimal("4.0000").
    result = change(1, Decimal("4.0000"), 2, Decimal("6.0000"))
    assert result.display() == "+2 (+50,0\u00a0%)"
    assert change(1, Decimal("2.5000"), 2, Decimal("3.7500")).display() == "+1,25 (+50,0\u00a0%)"


def test_indicator_values_of_a_stopped_year_are_ignored():
    stopped = FicheInput(**{**vars(fiche_2()), "stopped_year": 2})
    reports = [ReportInput(2, 2, values={"r-B": 4}), ReportInput(2, 3, values={"r-B": 6})]
    evolution = indicator_evolutions(PlanInput(SECTIONS, [stopped]), reports)["m-B"]
    assert evolution.values[1:3] == ((2, Decimal(4)), (3, None))


def indicators(*specs):
    return FicheInput(
        1,
        "1",
        indicators=[
            IndicatorInput(i, kind, letters, text) for i, (kind, letters, text) in enumerate(specs)
        ],
    )


def test_matching_takes_the_result_of_the_same_letters_with_the_closest_text():
    # Carcassonne fiche 1, action A: three result indicators.
    matches = match_monitoring(
        indicators(
            (RESULT, ["A"], "Programme réalisé"),
            (RESULT, ["A"], "Nombre d’enfants mobilisés"),
            (RESULT, ["A"], "Pourcentage d’établissements scolaires et ALAE mobilisés"),
            (RESULT, ["B"], "Nombres d’actions réalisées dans les centres sociaux"),
            (MONITORING, ["A"], "Evolution du nombre d’enfants mobilisés"),
            (
                MONITORING,
                ["A"],
                "Evolution du Pourcentage d’établissements scolaires, périscolaires et "
                "extrascolaires mobilisés",
            ),
            (MONITORING, ["B"], "Evolution du nombre d’actions"),
            (MONITORING, ["B"], "Evolutions du nombre de réunion d’échange"),
        )
    )
    assert [m.result_id for m in matches.values()] == [1, 2, 3, None]


def test_matching_with_a_bare_number_takes_the_only_candidate():
    # Carcassonne fiche 14, action A: "Evolution du nombre".
    matches = match_monitoring(
        indicators(
            (RESULT, ["A"], "Nombre de professionnels ayant contacté le guichet unique"),
            (RESULT, ["I"], "Nombre de MSU territoriaux"),
            (MONITORING, ["A"], "Evolution du nombre"),
            (MONITORING, ["I"], "Evolution du nombre de MSU"),
        )
    )
    assert [m.result_id for m in matches.values()] == [0, 1]


def test_matching_of_two_identical_texts_follows_the_letters():
    # Carcassonne fiche 4: "Evolution du nombre de formations" for A and for E.
    matches = match_monitoring(
        indicators(
            (RESULT, ["A"], "Nombre de formations proposées par sujet de santé"),
            (RESULT, ["E"], "Nombre de formations en communication réalisées"),
            (MONITORING, ["A"], "Evolution du nombre de formations"),
            (MONITORING, ["E"], "Evolution du nombre de formations"),
        )
    )
    assert [m.result_id for m in matches.values()] == [0, 1]


def test_matching_falls_back_on_other_letters_only_when_every_word_is_there():
    # Carcassonne fiche 43: the monitoring indicator names B, the result indicator A.
    matches = match_monitoring(
        indicators(
            (RESULT, ["A"], "Nombre de personnes sensibilisées / ateliers"),
            (MONITORING, ["B"], "Evolution du nombre de personnes sensibilisées"),
            (MONITORING, ["C"], "Evolution du nombre"),
        )
    )
    assert matches[1].result_id == 0
    assert matches[1].reason.endswith("(mêmes mots, autre action)")
    assert matches[2].result_id is None


def test_monitoring_indicators_that_are_not_an_evolution_are_typed():
    matches = match_monitoring(
        indicators(
            (RESULT, ["A"], "Mise en place du dispositif"),
            (RESULT, ["K"], "Répertoire réalisé"),
            (MONITORING, ["A"], "Evolution du taux d’adhésion"),  # no common word
            (MONITORING, ["K"], "Mise à jour du répertoire"),
        )
    )
    assert matches[2].result_id is None
    assert matches[2].reason == "indicateur saisi (aucun indicateur de résultat correspondant)"
    assert matches[3].reason == "indicateur saisi (pas une évolution)"
    evolutions = indicator_evolutions(
        PlanInput((), [indicators((MONITORING, ["K"], "Mise à jour du répertoire"))], years=(1, 2)),
        [ReportInput(1, 1, values={0: 1}), ReportInput(1, 2, values={0: 2})],
    )
    assert evolutions[0].source_id == 0 and evolutions[0].changes[0].absolute == 1


# --- Examples: display and validation -----------------------------------------------------------


def test_display_rounds_halves_away_from_zero_with_french_typography():
    assert format_percent(Fraction(8450, 200)) == "42,3\u00a0%"  # 42.25
    assert format_percent(Fraction(100, 3)) == "33,3\u00a0%"
    assert format_percent(Fraction(-1, 20), signed=True) == "\u22120,1\u00a0%"
    assert format_percent(0) == "0,0\u00a0%"
    assert format_percent(None) == "—"
    assert format_ratio(Fraction(1, 8), signed=True) == "+12,5\u00a0%"
    assert format_number(Decimal("4.50")) == "4,5"
    assert format_number(Decimal("12")) == "12"
    assert format_number(Decimal("-3"), signed=True) == "\u22123"
    assert format_number(Decimal("12345.5")) == "12\u202f345,5"
    assert format_ratio(12, signed=True) == "+1\u202f200,0\u00a0%"
    assert ActionTally(due=3, yes=2, no=1).label() == "2 actions réalisées sur 3 prévues"
    assert ActionTally(due=1, no=1).label() == "0 action réalisée sur 1 prévue"


def test_weights_are_exact():
    assert FicheInput(1, weight=0.1).weight == Fraction(1, 10)
    assert FicheInput(1, weight=Decimal("2.50")).weight == Fraction(5, 2)
    assert FicheInput(1, weight=2.0).weight == 2
    with pytest.raises(ValueError):
        FicheInput(1, weight=-1)
    with pytest.raises(ValueError):
        SectionInput("A", weight=float("nan"))
    with pytest.raises(TypeError):
        FicheInput(1, weight=True)


@pytest.mark.parametrize(
    "build",
    [
        lambda: ReportInput(1, 1, progress_rate=120),
        lambda: ReportInput(1, 1, actions_done={"A": "maybe"}),
        lambda: roll_up_year(PlanInput(SECTIONS, [fiche(1)]), [rated(9, 20)], 1),
        lambda: roll_up_year(PlanInput(SECTIONS, [fiche(1)]), [rated(1, 20), rated(1, 40)], 1),
        lambda: roll_up_year(PlanInput(SECTIONS, [fiche(1)]), [rated(1, 20, 6)], 1),
        lambda: roll_up_year(PlanInput(SECTIONS, [fiche(1)]), [], 6),
        lambda: roll_up_year(
            PlanInput(SECTIONS, [fiche(1)]), [rated(1, 20, actions_done={"Z": "yes"})], 1
        ),
        lambda: PlanInput(SECTIONS, [FicheInput(1, section_path=("A1.O1",))]),
        lambda: PlanInput(SECTIONS, [fiche(1), fiche(1)]),
        lambda: section_paths([SectionInput("A", "B"), SectionInput("B", "A")]),
        lambda: section_paths([SectionInput("A", "missing")]),
        lambda: IndicatorInput(1, "other"),
        lambda: PlanInput(years=(2, 1)),
    ],
)
def test_inconsistent_input_is_refused(build):
    with pytest.raises((ValueError, TypeError)):
        build()


def test_rate_off_the_scale_is_the_forms_business():
    # The form keeps the 20 % scale; the roll-up computes any rate from 0 to 100.
    year = roll_up_year(PlanInput(SECTIONS, [fiche(1)]), [rated(1, 45)], 1)
    assert year.contract.rate.value == 45
