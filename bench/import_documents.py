"""Benchmark: parse every seed document as text, as PDF and as DOCX (pure, no database).

Each seed is rendered once to PDF (WeasyPrint, as the tests do) and to DOCX; then
parse_document is timed on each form (median of --runs). A seed that no registered format
recognises prints "format non reconnu": formats added to the registry are picked up as they land.
Needs the test extra (WeasyPrint). Usage: .venv/bin/python bench/import_documents.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def median_ms(func, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    os.environ.setdefault("PILOTIS_DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pilotis.settings")
    os.environ.setdefault("PILOTIS_SEEDS_DIR", str(ROOT.parent / "shared" / "seeds"))
    sys.path.insert(0, str(ROOT))  # the renderers of the test fixtures

    import django

    django.setup()
    from django.conf import settings

    from pilotis.importers.documents import extract_text
    from pilotis.importers.registry import detect_format, parse_document
    from pilotis.plans.draft import ParseError
    from tests.importers.rendering import render_docx, render_pdf

    seeds = sorted(Path(settings.SEEDS_DIR).glob("*.txt"))
    print(f"Pilotis — document import benchmark ({args.runs} runs, median; pure, no database)")
    for seed in seeds:
        data = seed.read_bytes()
        text = data.decode("utf-8")
        start = time.perf_counter()
        forms = {"txt": data, "pdf": render_pdf(text)}
        render_s = time.perf_counter() - start
        forms["docx"] = render_docx(text)
        fmt = detect_format(text)
        print(
            f"\n{seed.name}: {len(data) / 1024:.0f} KiB, {text.count(chr(10))} lines, "
            f"format {fmt.code if fmt else '—'}; PDF {len(forms['pdf']) / 1024:.0f} KiB "
            f"rendered in {render_s:.1f} s"
        )
        for kind, content in forms.items():
            name = f"{seed.stem}.{kind}"
            try:
                draft = parse_document(content, name)
            except ParseError as error:
                outcome = (
                    "format non reconnu"
                    if "n'est pas reconnu" in str(error)
                    else f"refused: {str(error)[:90]}…"
                )
                print(f"  {kind:5s} {outcome}")
                continue
            ms = median_ms(
                lambda content=content, name=name: parse_document(content, name), args.runs
            )
            line = f"  {kind:5s} parse {ms:8.1f} ms  {len(draft.fiches):3d} fiches"
            if kind != "txt":
                extract = median_ms(
                    lambda content=content, name=name: extract_text(content, name), args.runs
                )
                line += f"  (of which text extraction {extract:7.1f} ms)"
            print(line)


if __name__ == "__main__":
    sys.exit(main())
