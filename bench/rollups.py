"""Benchmark: the pure roll-ups of 600 plans × 55 fiches × 5 years of data generated in memory.

Times `pilotis.followup.rollups.roll_up` alone (every year's section, contract, organisation and
public figures, actions, trajectories and indicator evolutions), with no database and no
rendering. The figure with the data loaded from the database (SQLite and PostgreSQL) comes from
bench/followup.py, once the follow-up models exist.
Usage: .venv/bin/python bench/rollups.py [--plans 600] [--fiches 55] [--years 5] [--runs 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from decimal import Decimal

from pilotis.followup.rollups import (
    MONITORING,
    RESULT,
    ActionInput,
    FicheInput,
    IndicatorInput,
    PlanInput,
    ReportInput,
    SectionInput,
    roll_up,
    roll_up_year,
    section_paths,
)

RATES = (None, 0, 20, 40, 60, 80, 100)
ANSWERS = ("yes", "yes", "no", "partly", None)
ORGANISATIONS = [f"org-{i}" for i in range(40)]
PUBLICS = ["tout public", "jeunes", "parents", "personnes âgées", "professionnels de santé"]


def generate(rng: random.Random, fiches: int, years: int) -> tuple[PlanInput, list[ReportInput]]:
    """A plan shaped like Carcassonne's: 4 ambitions of 4 objectives, ~4 actions a fiche."""
    sections = []
    for a in range(4):
        sections.append(SectionInput(f"A{a}", None, f"Ambition {a}"))
        sections += [SectionInput(f"A{a}.O{o}", f"A{a}", f"Objectif {a}.{o}") for o in range(4)]
    paths = section_paths(sections)
    leaves = [s.id for s in sections if s.parent_id is not None]
    plan_fiches, reports = [], []
    for n in range(fiches):
        letters = "ABCDEFG"[: rng.randint(2, 7)]
        actions = [
            ActionInput(f"{n}{x}", x, tuple(range(rng.randint(1, 2), years + 1))) for x in letters
        ]
        indicators = []
        for x in letters[:2]:
            indicators.append(IndicatorInput(f"{n}r{x}", RESULT, (x,), f"Nombre d’ateliers {x}"))
            indicators.append(
                IndicatorInput(f"{n}m{x}", MONITORING, (x,), f"Evolution du nombre d’ateliers {x}")
            )
        plan_fiches.append(
            FicheInput(
                n,
                str(n + 1),
                section_path=paths[rng.choice(leaves)],
                pilots=tuple(rng.sample(ORGANISATIONS, rng.randint(1, 3))),
                partners=tuple(rng.sample(ORGANISATIONS, rng.randint(2, 12))),
                public=", ".join(rng.sample(PUBLICS, rng.randint(1, 3))),
                stopped_year=rng.choice([None] * 20 + [2, 3]),
                actions=actions,
                indicators=indicators,
            )
        )
        for year in range(1, years + 1):
            if rng.random() < 0.1:  # a late fiche: no report this year
                continue
            reports.append(
                ReportInput(
                    n,
                    year,
                    progress_rate=rng.choice(RATES),
                    objective_reached=rng.choice([None, True, False]),
                    actions_done={a.id: rng.choice(ANSWERS) for a in actions},
                    values={
                        i.id: Decimal(rng.randint(0, 40)) for i in indicators if i.kind == RESULT
                    },
                )
            )
    return PlanInput(sections, plan_fiches, tuple(range(1, years + 1))), reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plans", type=int, default=600)
    parser.add_argument("--fiches", type=int, default=55)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    rng = random.Random(5)  # the same data on every run and machine
    start = time.perf_counter()
    data = [generate(rng, args.fiches, args.years) for _ in range(args.plans)]
    generated = time.perf_counter() - start

    samples = []
    for _ in range(args.runs):
        start = time.perf_counter()
        for plan, reports in data:
            roll_up(plan, reports)
        samples.append(time.perf_counter() - start)
    total = statistics.median(samples)
    # An ARS-wide dashboard shows one year: every plan's figures for year 1 only.
    one_year = []
    for _ in range(args.runs):
        start = time.perf_counter()
        for plan, reports in data:
            roll_up_year(plan, reports, 1)
        one_year.append(time.perf_counter() - start)
    print(
        f"{args.plans} plans × {args.fiches} fiches × {args.years} years "
        f"({sum(len(r) for _, r in data)} reports; generated in {generated:.1f} s)"
    )
    print(f"all roll-ups, pure part: {total:.2f} s (median of {args.runs})")
    print(f"per plan: {total / args.plans * 1000:.1f} ms")
    print(f"one year of every plan (roll_up_year): {statistics.median(one_year):.2f} s")


if __name__ == "__main__":
    main()
