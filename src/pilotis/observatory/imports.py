"""Importing an open-data file: read, map (detected, remembered or confirmed), check, apply.

The parsing and checks are pure (`parsing`); this module fetches what they need from the
database and applies a clean file in one transaction. A file with any problem changes nothing.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from django.db import transaction

from pilotis.observatory import dictionary, parsing
from pilotis.observatory.models import FileShape, ImportBatch, Indicator, Observation, Territory


@dataclass
class SheetPlan:
    """One table of the file with the mapping that will be applied to it."""

    table: parsing.Table
    mapping: dict
    sure: bool
    remembered: bool
    reasons: list[str]
    ignored: list[str] = field(default_factory=list)
    skipped: bool = False  # a sheet without a code column (notes, presentation)


@dataclass
class Outcome:
    sheets: list[SheetPlan]
    problems: list[parsing.Problem] = field(default_factory=list)
    values: list[parsing.Value] = field(default_factory=list)
    applied: int = 0

    @property
    def needs_mapping(self) -> bool:
        return any(not s.sure and not s.skipped for s in self.sheets)


def indicator_bounds() -> dict[str, parsing.Bounds]:
    return {
        i.code: parsing.Bounds(i.label, i.min_value, i.max_value, i.scale)
        for i in Indicator.objects.all()
    }


def known_codes() -> set[tuple[str, str]]:
    return set(Territory.objects.values_list("level", "code"))


def source_from_notes(tables: list[parsing.Table]) -> str:
    for table in tables:
        for note in table.notes:
            match = re.match(r"\s*sources?\s*:\s*(.+)", note, re.IGNORECASE)
            if match:
                return match.group(1).strip()[:300]
    return ""


def plan_sheets(
    tables: list[parsing.Table], overrides: dict[int, dict] | None = None
) -> list[SheetPlan]:
    """Each table's mapping: the one the user gave, else the remembered one, else detected."""
    overrides = overrides or {}
    aliases = dictionary.aliases(Indicator.objects.all())
    remembered = {
        s.signature: s.mapping
        for s in FileShape.objects.filter(signature__in=[t.signature for t in tables])
    }
    plans = []
    for index, table in enumerate(tables):
        detection = parsing.detect(table, aliases)
        if index in overrides:
            plans.append(SheetPlan(table, overrides[index], True, False, [], detection.ignored))
        elif table.signature in remembered:
            mapping = remembered[table.signature]
            if not mapping.get("period_column") and not any(
                v.get("period") for v in mapping["values"]
            ):
                # The remembered mapping took the period from the sheet's name or notes.
                mapping = {
                    **mapping,
                    "period": detection.mapping["period"] or mapping.get("period", ""),
                }
            plans.append(SheetPlan(table, mapping, True, True, [], detection.ignored))
        else:
            skipped = not detection.mapping["code_column"] and len(tables) > 1
            plans.append(
                SheetPlan(
                    table,
                    detection.mapping,
                    detection.sure,
                    False,
                    detection.reasons,
                    detection.ignored,
                    skipped=skipped,
                )
            )
    return plans


def check(sheets: list[SheetPlan]) -> Outcome:
    outcome = Outcome(sheets)
    bounds = indicator_bounds()
    codes = known_codes()
    seen: dict[tuple, str] = {}
    for sheet in sheets:
        if sheet.skipped:
            continue
        problems = parsing.mapping_problems(sheet.table, sheet.mapping, bounds)
        if problems:
            outcome.problems += [parsing.Problem(sheet.table.where, None, "", p) for p in problems]
            continue
        values, found = parsing.validate(sheet.table, sheet.mapping, bounds, codes)
        outcome.problems += found
        for v in values:
            key = (v.indicator, v.level, v.code, v.period)
            if key in seen:
                outcome.problems.append(
                    parsing.Problem(
                        v.provenance, None, "", f"même valeur déjà donnée par {seen[key]}."
                    )
                )
            seen[key] = v.provenance
        outcome.values += values
    return outcome


def remember(sheets: list[SheetPlan], user) -> None:
    for sheet in sheets:
        if sheet.skipped:
            continue
        FileShape.objects.update_or_create(
            signature=sheet.table.signature,
            defaults={"headers": sheet.table.headers, "mapping": sheet.mapping, "saved_by": user},
        )


def apply(batch: ImportBatch, outcome: Outcome) -> int:
    """Store the values of a clean file. Values of the same indicator, territory and period from
    an earlier file of the same source are replaced; other sources' values are kept beside."""
    if outcome.problems:
        raise ValueError("un fichier avec des problèmes ne s’applique pas")
    ids = {
        (level, code): pk
        for pk, level, code in Territory.objects.filter(
            code__in={v.code for v in outcome.values}
        ).values_list("pk", "level", "code")
    }
    indicators = dict(Indicator.objects.values_list("code", "pk"))
    rows = [
        Observation(
            indicator_id=indicators[v.indicator],
            territory_id=ids[(v.level, v.code)],
            period=v.period,
            value=v.value,
            numerator=v.numerator,
            denominator=v.denominator,
            source=batch.source or batch.file_name,
            provenance=v.provenance[:300],
            batch=batch,
        )
        for v in outcome.values
    ]
    with transaction.atomic():
        for indicator_id in {r.indicator_id for r in rows}:
            Observation.objects.filter(
                indicator_id=indicator_id,
                source=batch.source or batch.file_name,
                batch__isnull=False,
                territory_id__in={r.territory_id for r in rows if r.indicator_id == indicator_id},
                period__in={r.period for r in rows if r.indicator_id == indicator_id},
            ).exclude(batch=batch).delete()
        Observation.objects.bulk_create(rows, batch_size=1000)
        batch.applied = True
        batch.observation_count = len(rows)
        batch.save(update_fields=["applied", "observation_count"])
    outcome.applied = len(rows)
    return len(rows)


def new_batch(data: bytes, file_name: str, source: str, user) -> ImportBatch:
    return ImportBatch.objects.create(
        file_name=file_name[:300],
        sha256=hashlib.sha256(data).hexdigest(),
        source=source[:300],
        imported_by=user if getattr(user, "is_authenticated", False) else None,
        data=data,
    )


def run(batch: ImportBatch, overrides: dict[int, dict] | None = None, user=None) -> Outcome:
    """Read the batch's file; apply it when every sheet is mapped and nothing is wrong."""
    tables = parsing.read_file(bytes(batch.data), batch.file_name)
    sheets = plan_sheets(tables, overrides)
    if any(not s.sure and not s.skipped for s in sheets):
        return Outcome(sheets)
    outcome = check(sheets)
    if not outcome.problems:
        if overrides:
            remember([s for i, s in enumerate(sheets) if i in overrides], user)
        apply(batch, outcome)
    return outcome
