"""Pure roll-ups of the yearly follow-up: progress rates, actions due and done, indicator evolution.

Everything here works on plain frozen dataclasses that the views build from the models, and uses
the standard library only, so that every rule is tested without a database. The rules, formulas
and edge cases are explained to users in docs/roll-ups.md; keep both in step.

Years are contract years (1 = the signature year), the numbers `Action.deadline_years` holds.
Means and ratios are exact (`int` or `Fraction`); they are rounded only for display, to one
decimal, halves away from zero (`format_percent`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from math import floor, isfinite
from types import MappingProxyType

# An exact number: int when integral, so that the common case (weights of 1) stays fast.
Exact = int | Fraction

RESULT = "result"
MONITORING = "monitoring"
INDICATOR_KINDS = (RESULT, MONITORING)

DONE_YES = "yes"
DONE_NO = "no"
DONE_PARTLY = "partly"
DONE_VALUES = (DONE_YES, DONE_NO, DONE_PARTLY, None)

# Fiche states for one year.
EXPECTED = "expected"
NOT_STARTED = "not_started"
STOPPED = "stopped"

# Reasons shown in place of a figure that cannot be computed (French: users read them).
REASON_NO_FICHE = "aucune fiche attendue cette année"
REASON_NO_RATE = "aucun taux d’avancement renseigné"
REASON_ZERO_WEIGHT = "poids total nul : les fiches renseignées ont toutes un poids de 0"
NO_ACTION_DUE = "aucune action prévue cette année"
NOTE_NO_REPORT = "aucun suivi saisi pour cette année"
NOTE_REACHED_WITHOUT_RATE = "objectif atteint, sans taux d’avancement : non compté dans les taux"

# French typography, as in pilotis.plans.datasets: a narrow no-break space between thousands, a
# no-break space before "%", a true minus sign.
THOUSANDS = "\u202f"
UNIT_SPACE = "\u00a0"
MINUS = "\u2212"


# --- Exact numbers and display ------------------------------------------------------------------


def exact_weight(value: object) -> Exact:
    """A weight as an exact non-negative number; 0.1 means one tenth, not its binary neighbour."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | Fraction):
        raise TypeError(f"weight must be a number, not {value!r}")
    if isinstance(value, float | Decimal) and not (
        value.is_finite() if isinstance(value, Decimal) else isfinite(value)
    ):
        raise ValueError(f"weight must be finite, not {value!r}")
    number = Fraction(repr(value)) if isinstance(value, float) else Fraction(value)
    if number < 0:
        raise ValueError(f"weight must not be negative, not {value!r}")
    return number.numerator if number.denominator == 1 else number


def _as_decimal(value: object) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError(f"indicator value must be a number, not {value!r}")
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as error:
        raise TypeError(f"indicator value must be a number, not {value!r}") from error
    if not number.is_finite():
        raise ValueError(f"indicator value must be finite, not {value!r}")
    return number


def _exact(value: Fraction) -> Exact:
    return value.numerator if value.denominator == 1 else value


def _fr_exact(value: Exact) -> str:
    return _fr_decimal(round_tenth(value)) if isinstance(value, Fraction) else str(value)


def round_tenth(value: Exact | Decimal) -> Decimal:
    """Round to one decimal, halves away from zero: 42.25 -> 42.3, -0.05 -> -0.1."""
    exact = Fraction(value)
    tenths = floor(abs(exact) * 10 + Fraction(1, 2))
    return (Decimal(tenths) / 10 * (-1 if exact < 0 else 1)).quantize(Decimal("0.1"))


def _fr_decimal(number: Decimal, signed: bool = False) -> str:
    whole, _, decimals = f"{abs(number):f}".partition(".")
    groups = []
    while len(whole) > 3:
        whole, groups = whole[:-3], [whole[-3:], *groups]
    text = THOUSANDS.join([whole, *groups]) + ("," + decimals if decimals else "")
    if number < 0:
        return MINUS + text
    return ("+" + text) if signed and number > 0 else text


def format_percent(value: Exact | None, signed: bool = False, empty: str = "—") -> str:
    """A rate (already in percent, 0–100) for users: 42.25 -> '42,3 %'; None -> `empty`."""
    if value is None:
        return empty
    return f"{_fr_decimal(round_tenth(value), signed)}{UNIT_SPACE}%"


def format_ratio(value: Exact | None, signed: bool = False, empty: str = "—") -> str:
    """A ratio (1 = 100 %) as a percentage: Fraction(1, 8) -> '12,5 %'."""
    return format_percent(None if value is None else value * 100, signed, empty)


def format_number(value: Decimal | None, signed: bool = False, empty: str = "—") -> str:
    """An indicator value or change as typed, decimal comma: Decimal('-2.5') -> '−2,5'."""
    if value is None:
        return empty
    normal = value.normalize() if value != value.to_integral_value() else value.quantize(1)
    return _fr_decimal(normal, signed)


# --- Text matching ------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower-case, accent-free form for matching (as pilotis.core.text.fold, kept stdlib-only)."""
    decomposed = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "oe"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.lower().split())


# Words that say nothing about what is counted: articles, prepositions, "per year".
STOP_WORDS = frozenset(
    {"a", "au", "aux", "avec", "chez", "d", "dans", "de", "des", "du", "en", "et", "l", "la"}
    | {"le", "les", "ou", "par", "pour", "sur", "un", "une", "an", "annee", "annuel", "annuelle"}
)
_WORD = re.compile(r"[a-z0-9]+")
_EVOLUTION_WORDS = frozenset({"evolution", "evolutions"})


def _stem(word: str) -> str:
    # Plural and feminine must meet ("réunion d'échange" / "réunions d'échange", "réalisées" /
    # "réalisés"): the same cut applies to both texts, so it need not give a real word.
    if len(word) > 3 and word[-1] in "sx":
        word = word[:-1]
    return word[:-1] if len(word) > 3 and word[-1] == "e" else word


# Words nearly every indicator holds: sharing only these proves nothing, unless the monitoring
# text holds nothing else ("Evolution du nombre").
GENERIC_WORDS = frozenset(
    _stem(w) for w in ("nombre", "taux", "pourcentage", "part", "realise", "realisee")
)


@lru_cache(maxsize=4096)  # the same indicator texts recur across fiches and plans
def content_words(text: str) -> frozenset[str]:
    """The words of an indicator that say what it counts: folded, stop words out, plurals cut."""
    return frozenset(_stem(w) for w in _WORD.findall(fold(text)) if w not in STOP_WORDS)


@lru_cache(maxsize=4096)
def is_evolution_text(text: str) -> bool:
    """True for "Evolution du nombre de…", the indicators computed rather than typed."""
    words = _WORD.findall(fold(text))
    return bool(words) and words[0] in _EVOLUTION_WORDS


@lru_cache(maxsize=4096)
def _evolution_subject(text: str) -> frozenset[str]:
    return content_words(text) - {_stem(w) for w in _EVOLUTION_WORDS}


def public_categories(text: str) -> tuple[str, ...]:
    """Split a "Public cible" text into categories: on commas, semicolons and line breaks.

    Commas inside parentheses do not split ("dispositifs (CH, SAS, SDIS)" stays one category);
    spaces are squashed, trailing punctuation and a final "etc." or "…" dropped, duplicates
    (same folded text) kept once. "et" does not split: "personnes de 60 ans et plus et leur
    entourage" is one public.
    """
    parts, depth, current = [], 0, []
    for char in text:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(0, depth - 1)
        if depth == 0 and char in ",;\n":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    categories: list[str] = []
    seen: set[str] = set()
    for part in parts:
        label = " ".join(part.split()).strip(" .:-–—…")
        if fold(label) in ("", "etc"):
            continue
        if fold(label) not in seen:
            seen.add(fold(label))
            categories.append(label)
    return tuple(categories)


# --- Inputs -------------------------------------------------------------------------------------


def _set(instance: object, name: str, value: object) -> None:
    # Frozen dataclasses normalise their own fields once, in __post_init__.
    object.__setattr__(instance, name, value)


@dataclass(frozen=True)
class SectionInput:
    """A node of the plan's section tree (ambition, objective…)."""

    id: Hashable
    parent_id: Hashable | None = None
    title: str = ""
    # Multiplies the weights of every fiche beneath, in the figures of the section's ancestors.
    weight: Exact = 1

    def __post_init__(self) -> None:
        _set(self, "weight", exact_weight(self.weight))


@dataclass(frozen=True)
class ActionInput:
    """An action of a fiche; `id` keys the answers (letters repeat in some documents)."""

    id: Hashable
    letter: str = ""
    due_years: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        _set(self, "due_years", tuple(self.due_years))


@dataclass(frozen=True)
class IndicatorInput:
    id: Hashable
    kind: str  # RESULT | MONITORING
    letters: tuple[str, ...] = ()
    text: str = ""

    def __post_init__(self) -> None:
        if self.kind not in INDICATOR_KINDS:
            raise ValueError(f"indicator kind must be one of {INDICATOR_KINDS}, not {self.kind!r}")
        _set(self, "letters", tuple(self.letters))


@dataclass(frozen=True)
class FicheInput:
    fiche_id: Hashable
    number: str = ""
    # Section ids from the root to the innermost section; () for a fiche outside any section.
    section_path: tuple[Hashable, ...] = ()
    pilots: tuple[str, ...] = ()  # organisation keys, pilots and co-pilots alike
    partners: tuple[str, ...] = ()
    public: str = ""  # the "Public cible" text as written
    # Target public categories; derived from `public` by `public_categories` when not given.
    publics: tuple[str, ...] | None = None
    weight: Exact = 1
    # First contract year the fiche is expected (later for a fiche added by amendment).
    first_year: int = 1
    # Contract year in which the COPIL decided to stop it: counted that year, not after.
    stopped_year: int | None = None
    actions: tuple[ActionInput, ...] = ()
    indicators: tuple[IndicatorInput, ...] = ()
    title: str = ""

    def __post_init__(self) -> None:
        for name in ("section_path", "actions", "indicators"):
            _set(self, name, tuple(getattr(self, name)))
        # An organisation named twice (pilot and co-pilot) still counts the fiche once.
        _set(self, "pilots", tuple(dict.fromkeys(self.pilots)))
        _set(self, "partners", tuple(dict.fromkeys(self.partners)))
        publics = public_categories(self.public) if self.publics is None else self.publics
        _set(self, "publics", tuple(publics))
        _set(self, "weight", exact_weight(self.weight))
        if len({a.id for a in self.actions}) != len(self.actions):
            raise ValueError(f"fiche {self.fiche_id!r}: two actions share an id")
        if len({i.id for i in self.indicators}) != len(self.indicators):
            raise ValueError(f"fiche {self.fiche_id!r}: two indicators share an id")

    def state(self, year: int) -> str:
        if year < self.first_year:
            return NOT_STARTED
        if self.stopped_year is not None and year > self.stopped_year:
            return STOPPED
        return EXPECTED


@dataclass(frozen=True)
class PlanInput:
    sections: tuple[SectionInput, ...] = ()
    fiches: tuple[FicheInput, ...] = ()
    years: tuple[int, ...] = (1, 2, 3, 4, 5)

    def __post_init__(self) -> None:
        for name in ("sections", "fiches", "years"):
            _set(self, name, tuple(getattr(self, name)))
        if list(self.years) != sorted(set(self.years)):
            raise ValueError(f"years must be increasing, not {self.years!r}")
        paths = section_paths(self.sections)
        if len({f.fiche_id for f in self.fiches}) != len(self.fiches):
            raise ValueError("two fiches share an id")
        for fiche in self.fiches:
            if fiche.section_path and paths.get(fiche.section_path[-1]) != fiche.section_path:
                raise ValueError(
                    f"fiche {fiche.fiche_id!r}: section_path {fiche.section_path!r} is not a path"
                    " of the section tree from its root"
                )


@dataclass(frozen=True)
class ReportInput:
    """What a fiche's pilot said for one year (a FicheReport with its answers and values)."""

    fiche_id: Hashable
    year: int
    progress_rate: int | None = None  # 0–100; the form keeps it on the 20 % scale
    objective_reached: bool | None = None
    actions_done: Mapping[Hashable, str | None] = field(default_factory=dict)  # by action id
    # Numeric values by indicator id; text values are not passed (they have no evolution).
    values: Mapping[Hashable, Decimal | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        rate = self.progress_rate
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int)):
            raise TypeError(f"progress_rate must be an int or None, not {rate!r}")
        if rate is not None and not 0 <= rate <= 100:
            raise ValueError(f"progress_rate must be between 0 and 100, not {rate}")
        if any(v not in DONE_VALUES for v in self.actions_done.values()):
            raise ValueError(f"actions_done values must be in {DONE_VALUES}")
        _set(self, "actions_done", MappingProxyType(dict(self.actions_done)))
        values = {k: _as_decimal(v) for k, v in self.values.items()}
        _set(self, "values", MappingProxyType(values))


def section_paths(sections: Iterable[SectionInput]) -> dict[Hashable, tuple[Hashable, ...]]:
    """Each section's path from the root (itself last), for building `FicheInput.section_path`."""
    by_id: dict[Hashable, SectionInput] = {}
    for section in sections:
        if section.id in by_id:
            raise ValueError(f"two sections share the id {section.id!r}")
        by_id[section.id] = section
    paths: dict[Hashable, tuple[Hashable, ...]] = {}
    for section in by_id.values():
        chain, node = [], section
        while node is not None:
            if node.id in chain:
                raise ValueError(f"section {section.id!r} is its own ancestor")
            chain.append(node.id)
            if node.parent_id is not None and node.parent_id not in by_id:
                raise ValueError(f"section {node.id!r}: unknown parent {node.parent_id!r}")
            node = by_id.get(node.parent_id) if node.parent_id is not None else None
        paths[section.id] = tuple(reversed(chain))
    return paths


def contract_weights(plan: PlanInput) -> dict[Hashable, Exact]:
    """Each fiche's weight in the contract's rate: its own weight times the weights of every
    section above it. The roll-ups' own computation, for a page that previews weights."""
    sections = {s.id: s for s in plan.sections}
    return {f.fiche_id: _Prepared(f, sections).contract_weight for f in plan.fiches}


# --- Outputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionTally:
    """Actions due in a year and what was answered for them; actions not due are not counted."""

    due: int = 0
    yes: int = 0
    partly: int = 0
    no: int = 0
    unanswered: int = 0
    # Answered done (yes or partly) though not due this year: shown, never counted.
    ahead: int = 0

    def __add__(self, other: ActionTally) -> ActionTally:
        return ActionTally(
            self.due + other.due,
            self.yes + other.yes,
            self.partly + other.partly,
            self.no + other.no,
            self.unanswered + other.unanswered,
            self.ahead + other.ahead,
        )

    @property
    def done(self) -> Exact:
        """Actions done: yes counts 1, partly 1/2."""
        return _exact(self.yes + Fraction(self.partly, 2))

    @property
    def answered(self) -> int:
        return self.due - self.unanswered

    @property
    def ratio(self) -> Fraction | None:
        """Done over answered (None when nothing was answered): a missing answer is not "no"."""
        return Fraction(self.done) / self.answered if self.answered else None

    def label(self) -> str:
        """'1,5 action réalisée sur 4 prévues (dont 1 en partie, 1 sans réponse)'."""
        if not self.due:
            return NO_ACTION_DUE
        done = "s" if self.done >= 2 else ""  # French plural from 2 on: "1,5 action"
        due = "s" if self.due >= 2 else ""
        text = f"{_fr_exact(self.done)} action{done} réalisée{done} sur {self.due} prévue{due}"
        details = []
        if self.partly:
            details.append(f"dont {self.partly} en partie")
        if self.unanswered:
            details.append(f"{self.unanswered} sans réponse")
        return text + (f" ({', '.join(details)})" if details else "")


@dataclass(frozen=True)
class RateMean:
    """A weighted mean of progress rates, with the coverage it rests on."""

    value: Fraction | None  # percent, 0–100; None with a reason
    reason: str  # "" when value is set
    rated: int  # counted fiches with a rate (weight 0 included)
    expected: int  # counted fiches (expected this year)
    weight: Exact  # Σ weights of the rated fiches

    @property
    def missing(self) -> int:
        return self.expected - self.rated

    @property
    def coverage(self) -> Fraction | None:
        return Fraction(self.rated, self.expected) if self.expected else None

    def display(self) -> str:
        return format_percent(self.value) if self.value is not None else self.reason

    def coverage_label(self) -> str:
        s = "s" if self.rated > 1 else ""
        return f"{self.rated} fiche{s} renseignée{s} sur {self.expected}"


@dataclass(frozen=True)
class FicheYear:
    """One fiche in one year: its answers as given, and whether the roll-ups count it."""

    fiche_id: Hashable
    year: int
    state: str  # EXPECTED | NOT_STARTED | STOPPED
    reported: bool  # a report exists for the year
    rate: int | None
    objective_reached: bool | None
    actions: ActionTally
    notes: tuple[str, ...] = ()

    @property
    def counted(self) -> bool:
        return self.state == EXPECTED

    @property
    def missing(self) -> bool:
        """Expected this year and without a rate."""
        return self.counted and self.rate is None


@dataclass(frozen=True)
class Aggregate:
    """A group's figures for a year: a section, the contract, an organisation, a public."""

    key: Hashable  # section id, organisation key, folded public category; None for the contract
    label: str
    year: int
    rate: RateMean
    actions: ActionTally
    objectives_reached: int  # counted fiches answering "objectif atteint : oui"
    objectives_answered: int  # counted fiches answering yes or no
    fiche_ids: tuple[Hashable, ...]  # counted fiches, in plan order

    def objectives_label(self) -> str:
        """'objectif atteint : 12 fiches sur 40 ayant répondu'."""
        s = "s" if self.objectives_reached > 1 else ""
        return (
            f"objectif atteint : {self.objectives_reached} fiche{s} sur "
            f"{self.objectives_answered} ayant répondu"
        )


@dataclass(frozen=True)
class YearRollup:
    year: int
    contract: Aggregate
    sections: Mapping[Hashable, Aggregate]
    fiches: Mapping[Hashable, FicheYear]
    pilots: Mapping[str, Aggregate]
    partners: Mapping[str, Aggregate]
    publics: Mapping[str, Aggregate]


@dataclass(frozen=True)
class IndicatorMatch:
    """Which result indicator a monitoring indicator is computed from, and why."""

    monitoring_id: Hashable
    result_id: Hashable | None  # None: the monitoring indicator is typed, not computed
    reason: str  # French, shown beside the indicator


@dataclass(frozen=True)
class Change:
    """From one year's value to another's; None with a reason when it cannot be computed."""

    previous_year: int
    year: int
    previous: Decimal | None
    value: Decimal | None
    absolute: Decimal | None
    relative: Fraction | None  # (value − previous) / |previous|
    reason: str = ""

    def display(self) -> str:
        if self.absolute is None:
            return self.reason
        text = format_number(self.absolute, signed=True)
        if self.relative is not None:
            text += f" ({format_ratio(self.relative, signed=True)})"
        return text


@dataclass(frozen=True)
class IndicatorEvolution:
    indicator_id: Hashable
    fiche_id: Hashable
    kind: str
    text: str
    source_id: Hashable  # the indicator whose values are used: itself or its result indicator
    computed: bool  # a monitoring indicator computed from a result indicator
    match_reason: str
    values: tuple[tuple[int, Decimal | None], ...]  # (year, value) over the plan's years
    changes: tuple[Change, ...]  # each year from the previous one
    overall: Change | None  # first to last year with a value; None below two values


@dataclass(frozen=True)
class PlanRollup:
    years: Mapping[int, YearRollup]
    trajectories: Mapping[Hashable, tuple[FicheYear, ...]]  # by fiche, over the plan's years
    indicators: Mapping[Hashable, IndicatorEvolution]

    @property
    def contract_trajectory(self) -> tuple[Aggregate, ...]:
        return tuple(y.contract for y in self.years.values())

    def section_trajectory(self, section_id: Hashable) -> tuple[Aggregate, ...]:
        return tuple(y.sections[section_id] for y in self.years.values())


# --- Indicator matching and evolution -----------------------------------------------------------


def match_monitoring(fiche: FicheInput) -> dict[Hashable, IndicatorMatch]:
    """Match each monitoring indicator of a fiche to the result indicator it follows.

    Only "Evolution du/de la/des …" texts are computed. Candidates are the fiche's result
    indicators naming the same action letters and sharing a content word with it, other than a
    generic one ("nombre", "taux"…) unless the monitoring text has no other; the one sharing the
    most words wins, then the higher share of common words, then document order. Failing that,
    a result indicator of other letters is taken when it is the only one holding every content
    word (at least two) of the monitoring text. Otherwise the monitoring indicator is typed.
    """
    results = [i for i in fiche.indicators if i.kind == RESULT]
    words = {i.id: content_words(i.text) for i in results}
    matches = {}
    for indicator in fiche.indicators:
        if indicator.kind != MONITORING:
            continue
        if not is_evolution_text(indicator.text):
            reason = "indicateur saisi (pas une évolution)"
            matches[indicator.id] = IndicatorMatch(indicator.id, None, reason)
            continue
        subject = _evolution_subject(indicator.text)
        specific = subject - GENERIC_WORDS
        letters = set(indicator.letters)
        best, best_score = None, None
        for position, result in enumerate(results):
            if set(result.letters) != letters:
                continue
            common = subject & words[result.id]
            if not (common & specific if specific else common):
                continue
            union = subject | words[result.id]
            score = (len(common), Fraction(len(common), len(union)), -position)
            if best_score is None or score > best_score:
                best, best_score = result, score
        if best is not None:
            where = f"même action {'/'.join(indicator.letters)}" if letters else "sans action"
            reason = f"calculé à partir de « {best.text} » ({where})"
        else:
            whole = [r for r in results if len(subject) >= 2 and subject <= words[r.id]]
            best = whole[0] if len(whole) == 1 else None
            reason = (
                f"calculé à partir de « {best.text} » (mêmes mots, autre action)"
                if best
                else "indicateur saisi (aucun indicateur de résultat correspondant)"
            )
        matches[indicator.id] = IndicatorMatch(indicator.id, best.id if best else None, reason)
    return matches


def _year_label(year: int) -> str:
    return f"année {year}"


def change(
    previous_year: int, previous: Decimal | None, year: int, value: Decimal | None
) -> Change:
    """The absolute and relative change between two years' values."""
    missing = [y for y, v in ((previous_year, previous), (year, value)) if v is None]
    if missing:
        label = " et ".join(_year_label(y) for y in missing)
        plural = "s" if len(missing) > 1 else ""
        reason = f"valeur{plural} manquante{plural} : {label}"
        return Change(previous_year, year, previous, value, None, None, reason)
    absolute = value - previous
    if previous == 0:
        reason = "évolution relative non définie (valeur précédente nulle)"
        return Change(previous_year, year, previous, value, absolute, None, reason)
    # Integral values (most counts) take the quicker int route to the same exact Fraction.
    if absolute == absolute.to_integral_value() and previous == previous.to_integral_value():
        relative = Fraction(int(absolute), abs(int(previous)))
    else:
        relative = Fraction(absolute) / abs(Fraction(previous))
    return Change(previous_year, year, previous, value, absolute, relative)


def indicator_evolutions(
    plan: PlanInput, reports: Iterable[ReportInput]
) -> dict[Hashable, IndicatorEvolution]:
    """The evolution of every indicator of the plan over its years."""
    index = _index_reports(plan, reports)
    return _evolutions(plan, index)


def _evolutions(plan: PlanInput, index: Mapping) -> dict[Hashable, IndicatorEvolution]:
    out = {}
    for fiche in plan.fiches:
        matches = match_monitoring(fiche)
        for indicator in fiche.indicators:
            match = matches.get(indicator.id)
            source = match.result_id if match and match.result_id is not None else indicator.id
            series = []
            for year in plan.years:
                report = index.get((fiche.fiche_id, year))
                counted = fiche.state(year) == EXPECTED
                series.append((year, report.values.get(source) if report and counted else None))
            changes = tuple(
                change(py, pv, y, v) for (py, pv), (y, v) in zip(series, series[1:], strict=False)
            )
            known = [(y, v) for y, v in series if v is not None]
            overall = change(*known[0], *known[-1]) if len(known) >= 2 else None
            out[indicator.id] = IndicatorEvolution(
                indicator_id=indicator.id,
                fiche_id=fiche.fiche_id,
                kind=indicator.kind,
                text=indicator.text,
                source_id=source,
                computed=source != indicator.id,
                match_reason=match.reason if match else "indicateur de résultat saisi",
                values=tuple(series),
                changes=changes,
                overall=overall,
            )
    return out


# --- Progress roll-ups --------------------------------------------------------------------------


def _index_reports(
    plan: PlanInput, reports: Iterable[ReportInput]
) -> dict[tuple[Hashable, int], ReportInput]:
    fiches = {f.fiche_id: f for f in plan.fiches}
    index: dict[tuple[Hashable, int], ReportInput] = {}
    for report in reports:
        fiche = fiches.get(report.fiche_id)
        if fiche is None:
            raise ValueError(f"report for an unknown fiche {report.fiche_id!r}")
        if report.year not in plan.years:
            raise ValueError(f"report for year {report.year}, not a year of the plan")
        if (report.fiche_id, report.year) in index:
            raise ValueError(f"two reports for fiche {report.fiche_id!r} in year {report.year}")
        unknown = set(report.actions_done) - {a.id for a in fiche.actions}
        unknown |= set(report.values) - {i.id for i in fiche.indicators}
        if unknown:
            raise ValueError(f"report of fiche {report.fiche_id!r}: unknown ids {unknown!r}")
        index[(report.fiche_id, report.year)] = report
    return index


class _Prepared:
    """What a fiche contributes every year, computed once."""

    __slots__ = ("fiche", "path_weights", "contract_weight", "publics")

    def __init__(self, fiche: FicheInput, sections: Mapping[Hashable, SectionInput]) -> None:
        self.fiche = fiche
        # Weight of the fiche inside each section of its path: its own weight times the weights
        # of the sections between it and that section (the section's own weight does not count).
        weights: list[Exact] = [fiche.weight] * len(fiche.section_path)
        for i in range(len(fiche.section_path) - 2, -1, -1):
            weights[i] = weights[i + 1] * sections[fiche.section_path[i + 1]].weight
        self.path_weights = tuple(zip(fiche.section_path, weights, strict=True))
        self.contract_weight = (
            weights[0] * sections[fiche.section_path[0]].weight if weights else fiche.weight
        )
        self.publics = {}
        for label in fiche.publics:
            self.publics.setdefault(fold(label), label)


class _Acc:
    """A group's running sums for a year; plain ints and lists, frozen once at the end."""

    __slots__ = ("num", "den", "rated", "expected", "reached", "answered", "tally", "ids")

    def __init__(self) -> None:
        self.num: Exact = 0
        self.den: Exact = 0
        self.rated = self.expected = self.reached = self.answered = 0
        self.tally = [0] * 6  # ActionTally's fields, in order
        self.ids: list[Hashable] = []

    def add(self, fy: FicheYear, weight: Exact) -> None:
        self.expected += 1
        self.ids.append(fy.fiche_id)
        if fy.rate is not None:
            self.rated += 1
            self.num += weight * fy.rate
            self.den += weight
        if fy.objective_reached is not None:
            self.answered += 1
            self.reached += fy.objective_reached
        actions = fy.actions
        if actions.due or actions.ahead:
            tally = self.tally
            tally[0] += actions.due
            tally[1] += actions.yes
            tally[2] += actions.partly
            tally[3] += actions.no
            tally[4] += actions.unanswered
            tally[5] += actions.ahead

    def freeze(self, key: Hashable, label: str, year: int) -> Aggregate:
        if not self.expected:
            value, reason = None, REASON_NO_FICHE
        elif not self.rated:
            value, reason = None, REASON_NO_RATE
        elif not self.den:
            value, reason = None, REASON_ZERO_WEIGHT
        else:
            value, reason = Fraction(self.num) / self.den, ""
        rate = RateMean(value, reason, self.rated, self.expected, self.den)
        return Aggregate(
            key,
            label,
            year,
            rate,
            ActionTally(*self.tally),
            self.reached,
            self.answered,
            tuple(self.ids),
        )


def fiche_year(fiche: FicheInput, report: ReportInput | None, year: int) -> FicheYear:
    """One fiche's figures for one year, with notes for the edge cases."""
    state = fiche.state(year)
    rate = report.progress_rate if report else None
    reached = report.objective_reached if report else None
    notes: list[str] = []
    if state != EXPECTED:
        if state == STOPPED:
            notes.append(f"fiche arrêtée en {_year_label(fiche.stopped_year)} : non comptée")
        else:
            notes.append(f"fiche prévue à partir de l’{_year_label(fiche.first_year)}")
        return FicheYear(
            fiche.fiche_id,
            year,
            state,
            report is not None,
            rate,
            reached,
            ActionTally(),
            tuple(notes),
        )
    done = report.actions_done if report else {}
    due = yes = partly = no = unanswered = ahead = 0
    for action in fiche.actions:
        answer = done.get(action.id)
        if year in action.due_years:
            due += 1
            if answer == DONE_YES:
                yes += 1
            elif answer == DONE_PARTLY:
                partly += 1
            elif answer == DONE_NO:
                no += 1
            else:
                unanswered += 1
        elif answer in (DONE_YES, DONE_PARTLY):
            ahead += 1
    if report is None:
        notes.append(NOTE_NO_REPORT)
    elif rate is None and reached:
        notes.append(NOTE_REACHED_WITHOUT_RATE)
    tally = ActionTally(due, yes, partly, no, unanswered, ahead)
    return FicheYear(
        fiche.fiche_id, year, state, report is not None, rate, reached, tally, tuple(notes)
    )


def _roll_up_year(
    plan: PlanInput,
    prepared: list[_Prepared],
    index: Mapping[tuple[Hashable, int], ReportInput],
    year: int,
) -> YearRollup:
    contract = _Acc()
    sections = {s.id: _Acc() for s in plan.sections}
    pilots: dict[str, _Acc] = {}
    partners: dict[str, _Acc] = {}
    publics: dict[str, _Acc] = {}
    public_labels: dict[str, set[str]] = {}
    fiches: dict[Hashable, FicheYear] = {}
    for p in prepared:
        fiche = p.fiche
        fy = fiche_year(fiche, index.get((fiche.fiche_id, year)), year)
        fiches[fiche.fiche_id] = fy
        if not fy.counted:
            continue
        weight = p.contract_weight
        contract.add(fy, weight)
        for section_id, section_weight in p.path_weights:
            sections[section_id].add(fy, section_weight)
        # A fiche counts whole for each of its organisations: its rate is not shared out.
        for key in fiche.pilots:
            pilots.setdefault(key, _Acc()).add(fy, weight)
        for key in fiche.partners:
            partners.setdefault(key, _Acc()).add(fy, weight)
        for key, label in p.publics.items():
            publics.setdefault(key, _Acc()).add(fy, weight)
            public_labels.setdefault(key, set()).add(label)
    titles = {s.id: s.title for s in plan.sections}
    return YearRollup(
        year=year,
        contract=contract.freeze(None, "ensemble du contrat", year),
        sections={k: acc.freeze(k, titles[k], year) for k, acc in sections.items()},
        fiches=fiches,
        pilots={k: acc.freeze(k, k, year) for k, acc in pilots.items()},
        partners={k: acc.freeze(k, k, year) for k, acc in partners.items()},
        # The label must not depend on fiche order: the smallest spelling met wins.
        publics={k: acc.freeze(k, min(public_labels[k]), year) for k, acc in publics.items()},
    )


def roll_up_year(plan: PlanInput, reports: Iterable[ReportInput], year: int) -> YearRollup:
    """Every roll-up of one year; reports of other years are checked and ignored."""
    if year not in plan.years:
        raise ValueError(f"year {year} is not a year of the plan")
    index = _index_reports(plan, reports)
    sections = {s.id: s for s in plan.sections}
    return _roll_up_year(plan, [_Prepared(f, sections) for f in plan.fiches], index, year)


def roll_up(plan: PlanInput, reports: Iterable[ReportInput]) -> PlanRollup:
    """Every roll-up of every year of the plan, the fiches' trajectories and indicators."""
    index = _index_reports(plan, reports)
    sections = {s.id: s for s in plan.sections}
    prepared = [_Prepared(f, sections) for f in plan.fiches]
    years = {year: _roll_up_year(plan, prepared, index, year) for year in plan.years}
    trajectories = {
        f.fiche_id: tuple(years[y].fiches[f.fiche_id] for y in plan.years) for f in plan.fiches
    }
    return PlanRollup(years, trajectories, _evolutions(plan, index))
