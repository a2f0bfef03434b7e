"""Benchmark: the general reader on contracts of layouts no known parser reads.

1. Time to read a 60-page DOCX (one label/value table per fiche) and a 100-page PDF (a heading
   per action, labelled paragraphs), from the uploaded bytes to the PlanDraft (text extraction
   included), median of a few runs, with the process's CPU time.
2. The share of fields read right on the collection of test documents
   (tests/importers/general_collection.py), per layout and per field.

Pure: no database. Usage: PILOTIS_DEBUG=true .venv/bin/python bench/general_reader.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT))  # the collection of test documents
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pilotis.settings")
    import django

    django.setup()


def pages_of_pdf(data: bytes) -> int:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        return len(document)
    finally:
        document.close()


def pages_of_docx(data: bytes) -> int:
    """Pages as Word would lay them out are not in the file: count the explicit page breaks
    the collection writes (one per fiche table), plus the first page."""
    import io
    import zipfile

    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    return xml.count('w:type="page"') + 1


def timed(func, runs: int) -> tuple[float, float, object]:
    walls, cpus, result = [], [], None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = func()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    setup()
    from pilotis.importers.registry import parse_document
    from tests.importers import general_collection as collection

    print(f"Machine : {os.cpu_count()} cœurs, charge {os.getloadavg()[0]:.1f}")
    docx_bytes = collection.docx_tables(collection.specs(60), page_breaks=True)
    wall, cpu, draft = timed(lambda: parse_document(docx_bytes, "contrat.docx"), args.runs)
    print(
        f"DOCX, un tableau par fiche : {pages_of_docx(docx_bytes)} pages, "
        f"{len(docx_bytes) // 1024} Kio, {len(draft.fiches)} fiches, "
        f"{sum(len(f.actions) for f in draft.fiches)} actions : "
        f"{wall:.2f} s (CPU {cpu:.2f} s)"
    )
    pdf_bytes = collection.pdf_headings(collection.specs(170))
    wall, cpu, draft = timed(lambda: parse_document(pdf_bytes, "contrat.pdf"), args.runs)
    print(
        f"PDF, un titre par action : {pages_of_pdf(pdf_bytes)} pages, "
        f"{len(pdf_bytes) // 1024} Kio, {len(draft.fiches)} fiches, "
        f"{sum(len(f.actions) for f in draft.fiches)} actions : "
        f"{wall:.2f} s (CPU {cpu:.2f} s)"
    )

    print("\nPart des champs lus juste, par modèle de document (12 fiches chacun) :")
    totals: dict[str, list[int]] = {name: [0, 0] for name in collection.FIELDS}
    for layout, (render, filename) in collection.LAYOUTS.items():
        expected = collection.specs(12)
        scores = collection.score(parse_document(render(expected), filename), expected)
        right = sum(r for r, _ in scores.values())
        total = sum(t for _, t in scores.values())
        print(f"  {layout:<22} {right}/{total} = {right / total:.1%}")
        for name, (r, t) in scores.items():
            totals[name][0] += r
            totals[name][1] += t
    print("\nPart des champs lus juste, par champ (tous modèles) :")
    for name, (right, total) in totals.items():
        print(f"  {name:<22} {right}/{total} = {right / total:.1%}")


if __name__ == "__main__":
    main()
