"""Editable DOCX reports (python-docx): real headings and tables, charts as PNG with their data.

Word styles (Titre, Titre 1…) rather than formatted text, so that the coordinator edits the report,
regenerates its table of contents and reuses it for the COPIL. Charts cannot go in as SVG
(python-docx does not embed it): each is a PNG of the same SVG (reports.png), with its
description as alternative text, followed by the same data table as on the page and in the PDF.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.font import Font

from pilotis.core.cells import xml_safe_tree
from pilotis.reports.charts import Chart, Table
from pilotis.reports.model import (
    AnnualReport,
    Cover,
    DecisionLine,
    FicheSection,
    FicheTrajectory,
    FinalReport,
    KeyFigure,
    ProgressRow,
)
from pilotis.reports.png import charts_png

TABLE_STYLE = "Table Grid"
DEMO_COLOUR = RGBColor(0xB3, 0x40, 0x00)
BLUE = RGBColor(0x00, 0x00, 0x91)
PICTURE_WIDTH = Cm(16.5)


# --- Building blocks ----------------------------------------------------------------------------


def _cap(text: str) -> str:
    """First letter up, as the page's |capfirst: labels from the roll-ups start lower-case."""
    return text[:1].upper() + text[1:]


def _document(cover: Cover, title: str):
    document = Document()
    styles = document.styles
    normal = styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(10)
    # French for the spelling checker and screen readers.
    run_properties = normal.element.get_or_add_rPr()
    language = OxmlElement("w:lang")
    language.set(qn("w:val"), "fr-FR")
    run_properties.append(language)
    properties = document.core_properties
    properties.title = title
    properties.subject = cover.plan_title
    properties.language = "fr-FR"
    properties.author = "Pilotis"
    if cover.is_demo:
        properties.keywords = cover.demo_label
    section = document.sections[0]
    section.left_margin = section.right_margin = Cm(2)
    header = section.header.paragraphs[0]
    header.text = cover.plan_title
    if cover.is_demo:
        run = header.add_run(f" — {cover.demo_label}")
        run.bold = True
        run.font.color.rgb = DEMO_COLOUR
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer.add_run("Page ")
    _field(footer, "PAGE")
    return document


def _field(paragraph, code: str) -> None:
    """A Word field (PAGE…), updated by Word when the document is opened or printed."""
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = code
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run._r.append(begin)
    run._r.append(instruction)
    run._r.append(end)


def _cover(document, cover: Cover) -> None:
    if cover.is_demo:
        demo = document.add_paragraph()
        run = demo.add_run(cover.demo_label.upper())
        run.bold = True
        run.font.size = Pt(14)
        run.font.color.rgb = DEMO_COLOUR
    if cover.plan_kind:
        document.add_paragraph(cover.plan_kind)
    document.add_heading(cover.title, level=0)
    subtitle = document.add_paragraph()
    run = subtitle.add_run(cover.subtitle)
    run.font.size = Pt(14)
    plan = document.add_paragraph()
    run = plan.add_run(cover.plan_title)
    run.bold = True
    run.font.size = Pt(14)
    if cover.is_demo:
        notice = document.add_paragraph()
        run = notice.add_run(cover.demo_notice)
        run.italic = True
        run.font.color.rgb = DEMO_COLOUR
    facts = [
        ("Type de plan", cover.plan_kind),
        ("Territoire", cover.territory),
        (
            "Durée du contrat",
            cover.period + (f" ; {cover.signature.lower()}" if cover.signature else ""),
        ),
        ("État", cover.status),
        ("Rapport produit le", cover.generated_on),
    ]
    _facts(document, [(k, v) for k, v in facts if v])
    document.add_paragraph(cover.counted_note).italic = True
    document.add_page_break()


def _new_table(document, rows: Sequence[Sequence[str]], bold_column: bool = False):
    """A table holding rows of text, built in one piece.

    python-docx's own path (add_row, cell.text, table.style by name) costs about a millisecond a
    cell, most of it looking the style up again and recomputing the grid for every cell: the
    report's thousands of cells took seconds. Here the table comes whole from add_table, its style
    is set by the id looked up once per document, and each cell gets its run directly: the same
    XML as cell.text writes.
    """
    columns = len(rows[0]) if rows else 2
    table = document.add_table(rows=len(rows), cols=columns)
    table._tbl.tblPr.style = _table_style_id(document)
    for tr, row in zip(table._tbl.tr_lst, rows, strict=True):
        for index, (tc, text) in enumerate(zip(tr.tc_lst, row, strict=True)):
            run = tc.p_lst[0].add_r()
            run.text = str(text)
            if bold_column and index == 0:
                Font(run).bold = True
    return table


def _table_style_id(document) -> str:
    style_id = getattr(document, "_pilotis_table_style", None)
    if style_id is None:
        style_id = document._pilotis_table_style = document.styles[TABLE_STYLE].style_id
    return style_id


def _header_row(table) -> None:
    # Repeated at the top of each page when the table runs over several; bold like <th>.
    tr = table._tbl.tr_lst[0]
    properties = tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    properties.append(repeat)
    for tc in tr.tc_lst:
        for run in tc.xpath("./w:p/w:r"):
            Font(run).bold = True


def _table(document, columns: Sequence[str], rows: Sequence[Sequence[str]], caption: str = ""):
    if caption:
        paragraph = document.add_paragraph()
        paragraph.add_run(caption).bold = True
    table = _new_table(document, [tuple(columns), *rows])
    _header_row(table)
    document.add_paragraph()
    return table


def _facts(document, facts: Sequence[tuple[str, str]]) -> None:
    _new_table(document, facts, bold_column=True)
    document.add_paragraph()


def _key_figures(document, figures: Sequence[KeyFigure]) -> None:
    _table(
        document,
        ("Chiffre clé", "Valeur", "Précision"),
        [(f.label, f.value, _cap(f.detail)) for f in figures],
    )


def _chart(document, chart: Chart, image: bytes) -> None:
    document.add_picture(io.BytesIO(image), width=PICTURE_WIDTH)
    # The description screen readers announce, as in the page's <desc>.
    properties = document.inline_shapes[-1]._inline.docPr
    properties.set("descr", chart.description)
    properties.set("title", chart.title)
    caption = document.add_paragraph(f"{chart.title} — les valeurs sont dans le tableau suivant.")
    caption.runs[0].italic = True
    _data_table(document, chart.table)


def _data_table(document, table: Table) -> None:
    _table(document, table.columns, table.rows, f"Données du graphique : {table.caption}")


def _progress(document, rows: Sequence[ProgressRow], heading: str, caption: str) -> None:
    _table(
        document,
        (heading, "Taux d’avancement", "Couverture", "Actions prévues", "Objectifs atteints"),
        [
            (
                r.full_label,
                r.rate_label,
                r.coverage,
                _cap(r.actions_label),
                r.objectives_short,
            )
            for r in rows
        ],
        caption,
    )


def _decisions(document, decisions: Sequence[DecisionLine], with_year: bool) -> None:
    if not decisions:
        suffix = "" if with_year else " pour cette année"
        document.add_paragraph(f"Aucune décision du COPIL n’est enregistrée{suffix}.")
        return
    columns = ("Fiche", *(("Année",) if with_year else ()), "Décision", "Motif", "Enregistrée le")
    rows = [
        (
            f"n°{d.fiche_number} — {d.fiche_title}",
            *((d.year_label,) if with_year else ()),
            d.kind_label + (f" : {d.new_action}" if d.new_action else ""),
            d.reason,
            d.decided_on or "—",
        )
        for d in decisions
    ]
    _table(document, columns, rows, f"Décisions du COPIL ({len(decisions)})")


def _fiche_heading(document, heading: str) -> None:
    paragraph = document.add_heading(heading, level=2)
    paragraph.paragraph_format.page_break_before = True


def _to_bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- The annual report ----------------------------------------------------------------------------


def _annual_fiche(document, report: AnnualReport, fiche: FicheSection) -> None:
    _fiche_heading(document, fiche.heading)
    facts = [
        ("Section", fiche.section),
        ("Pilotage", ", ".join(fiche.pilots) or "Non précisé"),
        ("Suivi", fiche.status_label),
        ("Taux d’avancement", fiche.rate_label),
        ("Objectif atteint", fiche.objective_label),
        ("Actions de l’année", _cap(fiche.actions_label)),
    ]
    if fiche.decision:
        decision = fiche.decision
        text = decision.kind_label + (f" : {decision.new_action}" if decision.new_action else "")
        facts.append(("Décision du COPIL", f"{text} — {decision.reason}"))
    _facts(document, [(k, v) for k, v in facts if v])
    for note in fiche.notes:
        document.add_paragraph(_cap(note) + ".").runs[0].italic = True
    if fiche.state == "expected" and not fiche.transmitted:
        document.add_paragraph(
            f"Suivi non transmis ({fiche.status_label.lower()}) : la fiche compte parmi les "
            "fiches en retard et n’entre pas dans les chiffres."
        )
    if fiche.actions:
        _table(
            document,
            ("Action", "Échéance", "Réalisée", "Commentaire"),
            [
                (f"{a.letter}. {a.text}", a.deadline or "—", a.done_label, a.comment or "—")
                for a in fiche.actions
            ],
            f"Actions prévues en {report.year_label.lower()}",
        )
    if fiche.indicators:
        _table(
            document,
            ("Indicateur", "Type", "Valeur", "Référence et cible", "Évolution sur un an"),
            [
                (
                    (f"{i.letters} — " if i.letters else "") + i.text,
                    i.kind_label,
                    "calculé" if i.computed else i.value,
                    f"{i.baseline or '—'} / {i.target or '—'}" if i.baseline or i.target else "—",
                    _cap(i.change) + (f" ({i.source})" if i.computed else ""),
                )
                for i in fiche.indicators
            ],
            f"Indicateurs de la fiche n°{fiche.number}",
        )
    if fiche.obstacles:
        paragraph = document.add_paragraph()
        paragraph.add_run("Difficultés rencontrées : ").bold = True
        paragraph.add_run(fiche.obstacles)
    if fiche.comment:
        paragraph = document.add_paragraph()
        paragraph.add_run("Commentaire des pilotes : ").bold = True
        paragraph.add_run(fiche.comment)


def annual_docx(report: AnnualReport) -> bytes:
    report = xml_safe_tree(report)  # text stored with a control character must not fail the file
    cover = report.cover
    document = _document(cover, f"{cover.title} — {report.year_label.lower()}")
    _cover(document, cover)
    document.add_heading(f"Chiffres clés de l’{report.year_label.lower()}", level=1)
    _key_figures(document, report.key_figures)
    images = charts_png([level.chart for level in report.section_levels])
    for level, image in zip(report.section_levels, images, strict=True):
        document.add_heading(level.heading, level=1)
        _chart(document, level.chart, image)
    document.add_heading("Avancement par organisation pilote", level=1)
    _progress(
        document,
        report.pilots,
        "Organisation pilote",
        "Avancement des fiches par organisation pilote ou co-pilote",
    )
    if report.publics:
        document.add_heading("Avancement par public cible", level=1)
        _progress(
            document, report.publics, "Public cible", "Avancement des fiches par public cible"
        )
    document.add_heading("Fiches en retard", level=1)
    if report.late:
        _table(
            document,
            ("N°", "Intitulé", "Pilotage", "État du suivi"),
            [
                (f.number, f.title, ", ".join(f.pilots) or "Non précisé", f.status_label)
                for f in report.late
            ],
            f"Fiches dont le suivi n’est pas transmis ({len(report.late)})",
        )
    else:
        document.add_paragraph("Toutes les fiches attendues ont transmis leur suivi.")
    document.add_heading("Décisions du COPIL", level=1)
    _decisions(document, report.decisions, with_year=False)
    if report.errata:
        document.add_heading("Errata", level=2)
        document.add_paragraph(
            "Les chiffres de ce rapport tiennent compte de ces corrections, apportées après la "
            "validation de l’année par le COPIL."
        )
        _table(
            document,
            ("Fiche", "Donnée corrigée", "Avant", "Après", "Motif", "Enregistré le"),
            [
                (e.fiche, e.field_label, e.before, e.after, e.reason, e.recorded_on or "—")
                for e in report.errata
            ],
            f"Errata enregistrés après la validation ({len(report.errata)})",
        )
    document.add_heading("Les fiches une à une", level=1)
    for fiche in report.fiches:
        _annual_fiche(document, report, fiche)
    return _to_bytes(document)


# --- The final evaluation ---------------------------------------------------------------------


def _final_fiche(document, report: FinalReport, fiche: FicheTrajectory) -> None:
    _fiche_heading(document, fiche.heading)
    facts = [
        ("Section", fiche.section),
        ("Pilotage", ", ".join(fiche.pilots) or "Non précisé"),
        ("Trajectoire", _cap(fiche.summary)),
    ]
    for decision in fiche.decisions:
        text = decision.kind_label + (f" : {decision.new_action}" if decision.new_action else "")
        facts.append(
            (f"Décision du COPIL ({decision.year_label.lower()})", f"{text} — {decision.reason}")
        )
    _facts(document, [(k, v) for k, v in facts if v])
    _table(
        document,
        ("Année", "Taux d’avancement", "Objectif atteint", "Actions prévues"),
        [
            (
                f"Année {p.year}",
                _cap(p.rate_label),
                p.objective_label,
                _cap(p.actions_label),
            )
            for p in fiche.points
        ],
        f"La fiche n°{fiche.number} année par année",
    )
    if fiche.indicators:
        _table(
            document,
            ("Indicateur", *(f"Année {c.year}" for c in report.years), "Évolution sur la période"),
            [
                (
                    (f"{i.letters} — " if i.letters else "") + i.text,
                    *i.series,
                    "—" if i.computed else _cap(i.overall),
                )
                for i in fiche.indicators
            ],
            f"Indicateurs de la fiche n°{fiche.number} année par année",
        )


def final_docx(report: FinalReport) -> bytes:
    report = xml_safe_tree(report)
    cover = report.cover
    document = _document(cover, cover.title)
    _cover(document, cover)
    document.add_heading("Chiffres clés", level=1)
    _key_figures(document, report.key_figures)
    document.add_heading("La trajectoire du contrat", level=1)
    (image,) = charts_png([report.chart])
    _chart(document, report.chart, image)
    _table(
        document,
        ("Année", "Taux d’avancement", "Couverture", "Actions prévues", "Objectifs atteints"),
        [
            (
                f"Année {r.year}",
                _cap(r.rate_label),
                r.coverage,
                _cap(r.actions_label),
                r.objectives_short,
            )
            for r in report.contract
        ],
        "Le contrat année par année",
    )
    document.add_heading("La trajectoire de chaque fiche", level=1)
    _table(
        document,
        ("Fiche", *(c.label for c in report.years)),
        [
            (
                f"n°{f.number} — {f.title}",
                *(_cap(p.rate_label) for p in f.points),
            )
            for f in report.fiches
        ],
        "Taux d’avancement de chaque fiche, année par année",
    )
    document.add_heading("Décisions du COPIL", level=1)
    _decisions(document, report.decisions, with_year=True)
    document.add_heading("Les fiches une à une", level=1)
    for fiche in report.fiches:
        _final_fiche(document, report, fiche)
    return _to_bytes(document)
