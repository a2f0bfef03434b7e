"""The figures the seed documents state (diagnostics, Data repère), as observations with their line.

They are transcribed in data/seed_figures.json — each with the document, the line, the words that
carry the value there, the indicator, territory, period (empty when the document states none) and
the source the document cites. Loading checks that the words are on that line of the document,
so a figure never loses its provenance; values the documents give twice (a population, a poverty
rate by two sources) are all kept, each with its source.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from django.db import transaction

from pilotis.observatory.models import ImportBatch, Indicator, Observation, PlanPerimeter, Territory


@dataclass
class FiguresReport:
    loaded: dict[str, int] = field(default_factory=dict)  # document → observations
    problems: list[str] = field(default_factory=list)


def shipped_figures() -> list[dict]:
    return json.loads(files("pilotis.observatory").joinpath("data/seed_figures.json").read_text())


def check_quotes(entries: list[dict], lines: list[str], document: str) -> list[str]:
    """Pure: the entries whose words are not on their line, in French."""
    problems = []
    for e in entries:
        line = lines[e["line"] - 1] if 0 < e["line"] <= len(lines) else ""
        if e["quote"] not in line:
            problems.append(f"{document}, ligne {e['line']} : « {e['quote']} » introuvable.")
    return problems


def _territory(spec: str, plans_by_prefix: dict[str, PlanPerimeter]) -> Territory | None:
    level, code = spec.split(":", 1)
    if level == "plan":
        link = plans_by_prefix.get(code)
        return link.territory if link else None
    return Territory.objects.filter(level=level, code=code).first()


def load_seed_figures(seeds_dir: Path, entries: list[dict] | None = None) -> FiguresReport:
    """(Re)load the figures of the seed documents found in `seeds_dir`."""
    from pilotis.plans.models import Plan

    entries = entries if entries is not None else shipped_figures()
    report = FiguresReport()
    indicators = dict(Indicator.objects.values_list("code", "pk"))
    links = {
        link.plan.source_document.split("_", 1)[0]: link
        for link in PlanPerimeter.objects.select_related("plan", "territory")
    }
    titles = {
        p.source_document.split("_", 1)[0]: p.title
        for p in Plan.objects.exclude(source_document="")
    }
    by_document: dict[str, list[dict]] = defaultdict(list)
    for e in entries:
        by_document[e["document"]].append(e)
    for prefix, items in sorted(by_document.items()):
        paths = sorted(Path(seeds_dir).glob(f"{prefix}_*.txt"))
        if not paths:
            report.problems.append(f"Document {prefix} absent de {seeds_dir} : chiffres ignorés.")
            continue
        path = paths[0]
        data = path.read_bytes()
        lines = data.decode("utf-8").splitlines()
        problems = check_quotes(items, lines, path.name)
        rows = []
        for e in items:
            if e["indicator"] not in indicators:
                problems.append(
                    f"{path.name}, ligne {e['line']} : indicateur « {e['indicator']} » inconnu."
                )
                continue
            territory = _territory(e["territory"], links)
            if territory is None:
                problems.append(
                    f"{path.name}, ligne {e['line']} : territoire {e['territory']} non chargé "
                    "(pilotis geo load, pilotis geo perimeters)."
                )
                continue
            rows.append((e, territory))
        report.problems += problems
        if any("introuvable" in p for p in problems):
            continue  # the document changed: its figures are not trusted, nothing is replaced
        title = titles.get(prefix, path.name)
        with transaction.atomic():
            ImportBatch.objects.filter(file_name=path.name, imported_by=None).delete()
            batch = ImportBatch.objects.create(
                file_name=path.name,
                sha256=hashlib.sha256(data).hexdigest(),
                source=title[:300],
                applied=True,
                observation_count=len(rows),
            )
            Observation.objects.bulk_create(
                Observation(
                    indicator_id=indicators[e["indicator"]],
                    territory=territory,
                    period=e["period"],
                    value=e["value"],
                    source=f"{title} — {e['cited']}"[:300],
                    provenance=f"{path.name}, ligne {e['line']} : « {e['quote']} »"[:300],
                    batch=batch,
                )
                for e, territory in rows
            )
        report.loaded[path.name] = len(rows)
    return report
