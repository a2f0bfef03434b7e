"""The downloads: PDF read back with PDFium, DOCX with python-docx, XLSX with openpyxl."""

from __future__ import annotations

import io
from datetime import date

import docx
import openpyxl
import pytest

from pilotis.importers.documents import extract_text
from tests.reports.conftest import build_followed_plan
from tests.reports.test_views import annual_url, member

pytestmark = pytest.mark.django_db

SPACES = {0x00A0: " ", 0x202F: " "}


def flat(text: str) -> str:
    """Text with no-break spaces as plain ones and runs of spaces squashed, for searching."""
    return " ".join(text.translate(SPACES).split())


def download(client, url: str, content_type: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("attachment; filename=")
    return response.content


def pdf_text(client, url: str) -> str:
    content = download(client, url, "application/pdf")
    assert content.startswith(b"%PDF")
    return flat(extract_text(content, "rapport.pdf"))


def docx_document(client, url: str):
    content = download(
        client, url, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    return docx.Document(io.BytesIO(content))


def docx_text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    parts += [p.text for s in document.sections for p in s.header.paragraphs]
    return flat("\n".join(parts))


def workbook(client, url: str):
    content = download(
        client, url, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return openpyxl.load_workbook(io.BytesIO(content))


def structure(pdf: bytes) -> tuple[str, list[tuple[str, str]]]:
    """The PDF's language and its tags (type, alternative text), page after page."""
    import ctypes

    import pypdfium2
    import pypdfium2.raw as raw

    def read(function, handle) -> str:
        buffer = ctypes.create_string_buffer(4000)
        size = function(handle, buffer, len(buffer))
        return buffer.raw[:size].decode("utf-16-le").rstrip("\x00")

    def walk(element, found):
        kind = read(raw.FPDF_StructElement_GetType, element)
        alt = read(raw.FPDF_StructElement_GetAltText, element) if kind == "Figure" else ""
        found.append((kind, alt))
        for i in range(raw.FPDF_StructElement_CountChildren(element)):
            child = raw.FPDF_StructElement_GetChildAtIndex(element, i)
            if child:
                walk(child, found)

    document = pypdfium2.PdfDocument(pdf)
    language = (ctypes.c_ushort * 20)()
    size = raw.FPDFCatalog_GetLanguage(document.raw, language, 40)
    found: list[tuple[str, str]] = []
    for page in document:
        tree = raw.FPDF_StructTree_GetForPage(page.raw)
        for i in range(raw.FPDF_StructTree_CountChildren(tree)):
            walk(raw.FPDF_StructTree_GetChildAtIndex(tree, i), found)
        raw.FPDF_StructTree_Close(tree)
    return bytes(language)[:size].decode("utf-16-le").rstrip("\x00"), found


def test_annual_pdf(client, plan, reader):
    client.force_login(reader)
    content = download(client, annual_url(plan, fmt="pdf"), "application/pdf")
    text = flat(extract_text(content, "rapport.pdf"))
    assert plan.title in text
    assert "Année 1 (2024)" in text
    assert "Fiche n°2 — Soutenir la parentalité" in text
    assert "60,0 %" in text  # fiche 2's rate
    assert "Renforcement" in text and "Forte demande des familles." in text
    assert "Fiches dont le suivi n’est pas transmis (1)" in text
    assert "Données du graphique : Taux d’avancement par ambition" in text
    assert "Données de démonstration" not in text
    # Tagged for screen readers: French, headings, tables with headers, charts with their text.
    language, tags = structure(content)
    kinds = [kind for kind, _ in tags]
    assert language == "fr-FR"
    assert kinds.count("H3") == 3  # one per fiche
    assert kinds.count("H2") >= 6 and "H1" in kinds
    assert kinds.count("Table") == kinds.count("THead") and "TH" in kinds
    alts = [alt for kind, alt in tags if kind == "Figure"]
    assert len(alts) == 2 and alts[0].startswith("Taux d’avancement par ambition")
    assert "Barres horizontales" in alts[0]
    import pypdfium2

    assert (
        pypdfium2.PdfDocument(content)
        .get_metadata_dict()["Title"]
        .startswith("Rapport annuel d’évaluation — année 1 (2024)")
    )


def test_user_text_is_never_typst_markup():
    """Whatever a pilot writes reaches the PDF as text: no markup, code or comment runs."""
    from django.template import Context, Template

    from pilotis.reports import render_pdf
    from pilotis.reports.templatetags.reports_typst import t

    assert t('a "b" \\ c\nd\x07') == '"a \\"b\\" \\\\ c\\nd"'
    tricky = '#set page(width: 1cm) *gras* $x$ <a> @a // fin \\ "guillemets" ] ) }'
    source = Template(
        '{% load reports_typst %}{% include "reports/typst/_lib.typ" %}'
        "#show: setup.with(title: {{ value|t }})\n== #{{ value|t }}\n#note({{ value|t }})"
    ).render(Context({"value": tricky}, autoescape=False))
    pdf = __import__("typst").compile(
        source.encode(), font_paths=[str(render_pdf.fonts_dir())], ignore_system_fonts=True
    )
    assert flat(extract_text(pdf, "essai.pdf")).count(flat(tricky)) == 2


def test_annual_docx_has_headings_and_tables(client, plan, reader):
    client.force_login(reader)
    document = docx_document(client, annual_url(plan, fmt="docx"))
    headings = [
        (p.style.name, p.text)
        for p in document.paragraphs
        if p.style.name.startswith(("Heading", "Title"))
    ]
    assert ("Title", "Rapport annuel d’évaluation") in headings
    assert ("Heading 1", "Avancement par ambition") in headings
    assert ("Heading 2", "Fiche n°2 — Soutenir la parentalité") in headings
    facts = {}
    for table in document.tables:
        for row in table.rows:
            if len(row.cells) == 2:
                facts.setdefault(row.cells[0].text, []).append(row.cells[1].text)
    assert "60,0\u00a0%" in facts["Taux d’avancement"]
    assert any(v.startswith("Renforcement — Forte demande") for v in facts["Décision du COPIL"])
    # The charts are pictures with their description, each followed by its data table.
    assert len(document.inline_shapes) == 2
    description = document.inline_shapes[0]._inline.docPr.get("descr")
    assert description.startswith("Barres horizontales")
    data_tables = [p.text for p in document.paragraphs if p.text.startswith("Données du graphique")]
    assert len(data_tables) == 2
    assert document.core_properties.language == "fr-FR"
    # Real Word tables: the grid style, a bold header row repeated on each page, labels in bold.
    assert {table.style.name for table in document.tables} == {"Table Grid"}
    actions = next(t for t in document.tables if t.rows[0].cells[0].text == "Action")
    assert actions.rows[0]._tr.trPr.xpath("./w:tblHeader")
    assert all(run.bold for cell in actions.rows[0].cells for run in cell.paragraphs[0].runs)
    assert not any(run.bold for cell in actions.rows[1].cells for run in cell.paragraphs[0].runs)
    facts_table = next(t for t in document.tables if t.rows[0].cells[0].text == "Section")
    label, value = facts_table.rows[0].cells
    assert label.paragraphs[0].runs[0].bold and not value.paragraphs[0].runs[0].bold


def test_annual_xlsx_holds_every_level(client, plan, reader):
    client.force_login(reader)
    book = workbook(client, annual_url(plan, fmt="xlsx"))
    assert book.sheetnames == [
        "Contrat",
        "Sections",
        "Organisations",
        "Fiches",
        "Actions",
        "Indicateurs",
        "Décisions",
        "Errata",
        "Fiches en retard",
    ]
    contract = {row[0]: row[1] for row in book["Contrat"].iter_rows(min_row=3, values_only=True)}
    assert contract["Taux d’avancement du contrat"] == pytest.approx(0.5)
    assert contract["Fiches attendues"] == 3 and contract["Fiches en retard"] == 1
    fiches = book["Fiches"]
    header = [c.value for c in fiches[2]]
    two = next(r for r in fiches.iter_rows(min_row=3, values_only=True) if r[0] == "2")
    assert two[header.index("Taux d’avancement")] == pytest.approx(0.6)
    assert fiches.cell(row=4, column=header.index("Taux d’avancement") + 1).number_format == "0.0 %"
    assert two[header.index("Décision du COPIL")] == "Renforcement"
    decisions = list(book["Décisions"].iter_rows(min_row=3, values_only=True))
    assert [(d[0], d[2]) for d in decisions] == [("2", "Renforcement")]
    late = list(book["Fiches en retard"].iter_rows(min_row=3, values_only=True))
    assert [r[0] for r in late] == ["3"]
    values = [r for r in book["Indicateurs"].iter_rows(min_row=3, values_only=True) if r[0] == "2"]
    assert ("Nombre de cours réalisés", 4) in [(r[3], r[4]) for r in values]


def test_final_pdf_and_docx(client, plan, reader):
    client.force_login(reader)
    text = pdf_text(client, f"/plans/{plan.slug}/evaluation-finale/pdf/")
    assert "Évaluation finale du contrat" in text
    assert "La trajectoire de chaque fiche" in text
    assert "de 60,0 % (année 1) à 80,0 % (année 2)" in text.lower()
    document = docx_document(client, f"/plans/{plan.slug}/evaluation-finale/docx/")
    assert "La fiche n°2 année par année" in docx_text(document)
    assert len(document.inline_shapes) == 1


def test_demo_label_in_all_four(client, db):
    plan = build_followed_plan(is_demo=True)
    client.force_login(member(plan, "copil"))
    label = "Données de démonstration"
    page = flat(client.get(annual_url(plan)).content.decode())
    assert label in page
    assert label in pdf_text(client, annual_url(plan, fmt="pdf"))
    document = docx_document(client, annual_url(plan, fmt="docx"))
    assert label in docx_text(document)
    assert label in document.sections[0].header.paragraphs[0].text
    book = workbook(client, annual_url(plan, fmt="xlsx"))
    for sheet in book.worksheets:
        assert label in sheet["A1"].value
    assert label in flat(client.get(f"/plans/{plan.slug}/evaluation-finale/").content.decode())
    # The follow-up's own pages say so too.
    for url in (f"/plans/{plan.slug}/suivi/", f"/plans/{plan.slug}/suivi/1/"):
        assert label in client.get(url).content.decode()


def test_errata_are_in_every_form_of_the_annual_report(client, plan, reader):
    from datetime import date

    from pilotis.followup import copil
    from pilotis.followup.models import Campaign

    year1 = Campaign.objects.get(plan=plan, year=1)
    copil.validate_campaign(
        year1, validated_on=date(2025, 3, 14), comment="", user=reader, default_continue=True
    )
    year1.refresh_from_db()
    report = year1.reports.select_related("fiche").get(fiche__number="1")
    copil.record_erratum(
        year1, report, key="progress_rate", raw_value="60", reason="Bilan rectifié.", user=reader
    )
    client.force_login(reader)
    expected = "Taux d’avancement 40 % 60 % Bilan rectifié."
    page = flat(client.get(annual_url(plan)).content.decode())
    assert "Errata enregistrés après la validation (1)" in page
    assert "Bilan rectifié." in page
    pdf = pdf_text(client, annual_url(plan, fmt="pdf"))
    # Narrow PDF columns wrap the labels: the row is read in pieces.
    assert (
        "Errata enregistrés après la validation (1)" in pdf and "40 % 60 % Bilan rectifié." in pdf
    )
    assert expected in docx_text(docx_document(client, annual_url(plan, fmt="docx")))
    rows = list(
        workbook(client, annual_url(plan, fmt="xlsx"))["Errata"].iter_rows(
            min_row=3, values_only=True
        )
    )
    assert [r[:5] for r in rows] == [
        (
            f"n°1 — {report.fiche.title}",
            "Taux d’avancement",
            "40\u00a0%",
            "60\u00a0%",
            "Bilan rectifié.",
        )
    ]
    # The corrected rate is the one the report counts.
    figures = client.get(annual_url(plan)).context["report"]
    assert next(f for f in figures.fiches if f.number == "1").rate_label.startswith("60")


def test_user_text_is_text_and_control_characters_do_not_fail_the_files(plan):
    """Issue 9: obstacles, an indicator's text value and a decision's reason starting with « = »
    are string cells in the annual XLSX; a control character stored before input refused it
    leaves the XLSX and the DOCX writable."""
    from pilotis.followup.models import Decision, FicheReport, IndicatorValue
    from pilotis.reports.loader import load_plan_data
    from pilotis.reports.model import annual_report
    from pilotis.reports.render_docx import annual_docx
    from pilotis.reports.render_xlsx import annual_xlsx

    FicheReport.objects.filter(plan=plan).update(obstacles='=HYPERLINK("http://x.example")\x01')
    IndicatorValue.objects.filter(plan=plan).update(value_number=None, value_text="=2+5\ufffe")
    Decision.objects.filter(plan=plan).update(reason="@SOMME(A1)\x0b")
    report = annual_report(load_plan_data(plan), 1, date(2025, 6, 1))
    book = openpyxl.load_workbook(io.BytesIO(annual_xlsx(report)))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    texts = {c.value for c in cells if c.data_type == "s"}
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert {"=2+5", "@SOMME(A1)"} <= texts
    document = docx.Document(io.BytesIO(annual_docx(report)))
    assert any('=HYPERLINK("http://x.example")' in p.text for p in document.paragraphs)
