"""Aggregating communes' values to a larger territory, by the indicator's rule (pure).

Counts are summed; rates are the ratio of the summed numerators and denominators (never a mean of
rates); a population-weighted mean only for indicators that have nothing better (the APL);
medians, standardised rates and life expectancies are refused.
"""

from __future__ import annotations

from dataclasses import dataclass


class NotAggregatable(ValueError):
    """The indicator, or the values at hand, cannot be aggregated: the message says why."""


@dataclass(frozen=True)
class Point:
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    population: float | None = None


@dataclass(frozen=True)
class Aggregate:
    value: float
    used: int  # communes whose value entered the result
    missing: int  # communes without a value


def aggregate(rule: str, points: list[Point], scale: float = 1) -> Aggregate:
    present = [p for p in points if p.value is not None or p.numerator is not None]
    missing = len(points) - len(present)
    if not present:
        raise NotAggregatable("aucune commune n’a de valeur")
    if rule == "sum":
        if missing:
            # A partial sum is no total: never show it as the territory's figure.
            raise NotAggregatable(f"somme incomplète : {missing} commune(s) sans valeur")
        return Aggregate(
            sum(p.value for p in present if p.value is not None), len(present), missing
        )
    if rule == "ratio":
        if any(p.numerator is None or p.denominator is None for p in present):
            raise NotAggregatable(
                "un taux s’agrège par ses numérateurs et dénominateurs, absents de certaines "
                "communes"
            )
        denominator = sum(p.denominator for p in present)
        if not denominator:
            raise NotAggregatable("dénominateur nul")
        return Aggregate(
            sum(p.numerator for p in present) / denominator * scale, len(present), missing
        )
    if rule == "weighted_mean":
        weighted = [p for p in present if p.value is not None and p.population]
        total = sum(p.population for p in weighted)
        if not total:
            raise NotAggregatable("population des communes inconnue")
        return Aggregate(
            sum(p.value * p.population for p in weighted) / total,
            len(weighted),
            len(points) - len(weighted),
        )
    raise NotAggregatable("cet indicateur ne s’agrège pas à partir des communes")


def aggregate_by(
    rule: str, points: dict[str, list[Point]], scale: float = 1
) -> dict[str, Aggregate | str]:
    """One aggregate per group (EPCI, department…), or the reason it cannot be computed."""
    out: dict[str, Aggregate | str] = {}
    for key, group in points.items():
        try:
            out[key] = aggregate(rule, group, scale)
        except NotAggregatable as exc:
            out[key] = str(exc)
    return out
