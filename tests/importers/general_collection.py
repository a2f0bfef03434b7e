"""A collection of contracts in layouts that are not the seeds', with the answer for each field.

The same invented fiches (no real contract's text) written in four layouts met in French CLS
and CPTS documents:
- "docx-tables": a DOCX, one label/value table per fiche (a merged heading row, bullets and
  numbered steps in cells, pilots and partners as column headers above their values, a
  vertically merged label);
- "pdf-headings": a PDF (WeasyPrint) with a heading per action and bold-labelled paragraphs;
- "docx-bold": a DOCX with bold labels followed by text or by bullet paragraphs;
- "docx-heading-labels": a DOCX whose labels are headings (Word "Heading 3") above their text;
- "text-colons": plain text with a table of contents, labels alone on their line ending with a
  colon, "ACTION 4" headings.
`score` compares a draft with the answers, field by field; the test asserts a floor on it, and
bench/general_reader.py prints it.
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass, field

from pilotis.core.text import fold, squash

START_YEAR = 2025


@dataclass
class Step:
    text: str
    years: list[int]  # contract years (1 = 2025)


@dataclass
class Spec:
    number: str
    title: str
    section: str  # section title
    pilots: list[str]
    partners: list[str]
    public: str
    objective: str
    specific: list[str]
    steps: list[Step]
    result: list[str]
    monitoring: list[str]
    budget: str
    unknown: tuple[str, str]  # a rubric no table knows: label, text
    linked: list[str] = field(default_factory=list)


SECTIONS = ["Prévention et promotion de la santé", "Accès aux soins", "Santé mentale"]

_PILOTS = [
    ["Communauté de communes du Val d'Orbe"],
    ["CPAM"],
    ["Ville de Saint-Aubin", "CCAS de Saint-Aubin"],
    ["Centre hospitalier de Lunel"],
    ["Maison des adolescents"],
    ["Mutualité Française"],
]
_PARTNERS = [
    ["CAF", "Département (PMI)", "Associations sportives"],
    ["MSA", "Professionnels de santé", "France Services"],
    ["Éducation nationale", "IREPS"],
    ["URPS", "CPTS du Val d'Orbe", "Centre de santé de Lunel"],
    ["PAEJ", "Mission locale", "GEM"],
    ["CARSAT", "Centres sociaux"],
]
_TOPICS = [
    ("Développer le sport santé pour les plus de 60 ans", "Personnes de plus de 60 ans"),
    ("Faciliter l'accès aux droits de santé", "Personnes en situation de précarité"),
    ("Promouvoir une alimentation équilibrée dès l'école", "Enfants de 3 à 11 ans et familles"),
    ("Attirer de nouveaux médecins généralistes", "Internes et jeunes médecins"),
    ("Prévenir le mal-être des jeunes", "Jeunes de 12 à 25 ans"),
    ("Rompre l'isolement des aidants", "Aidants familiaux"),
]


def specs(count: int = 6) -> list[Spec]:
    """`count` fiches, cycling through six invented topics; numbers 1.1, 1.2, 2.1…"""
    out = []
    for i in range(count):
        title, public = _TOPICS[i % 6]
        if count > 6:
            title = f"{title} (volet {i // 6 + 1})"
        section = i // 2 % len(SECTIONS)
        number = f"{i // 2 + 1}.{i % 2 + 1}"
        first = 1 + i % 3
        out.append(
            Spec(
                number=number,
                title=title,
                section=SECTIONS[section],
                pilots=_PILOTS[i % 6],
                partners=_PARTNERS[i % 6],
                public=public,
                objective=f"Améliorer la santé des habitants : {title.lower()}",
                specific=[
                    f"Recenser les besoins pour l'objectif {number}",
                    "Coordonner les acteurs du territoire",
                ],
                steps=[
                    Step(f"Réunir un groupe de travail sur la fiche {number}", [first]),
                    Step("Organiser des ateliers dans les communes", [first, first + 1]),
                    Step("Évaluer l'action avec les participants", [first + 2]),
                ],
                result=[f"Taux de participation au programme {number}"],
                monitoring=["Nombre d'ateliers organisés", "Nombre de partenaires mobilisés"],
                budget=f"{(i + 2) * 5} 000 € par an",
                unknown=("Valeur ajoutée pour le territoire", f"Une action attendue ({number})."),
                linked=[f"{(i + 1) // 2 + 1}.1"] if i % 3 == 0 and i else [],
            )
        )
    return out


def _years(step: Step) -> str:
    years = [START_YEAR + y - 1 for y in step.years]
    return str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"


def _contract_years(step: Step) -> str:
    if len(step.years) == 1:
        return f"année {step.years[0]}"
    return f"années {step.years[0]} à {step.years[-1]}"


TITLE = "Contrat local de santé de la Communauté de communes du Val d'Orbe 2025-2029"


# --- the layouts --------------------------------------------------------------------------


def docx_tables(fiches: list[Spec], page_breaks: bool = False) -> bytes:
    """One label/value table per fiche, its first row a merged heading; every other fiche has
    its pilots and partners as a two-column header row above their values."""
    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    document.add_heading(TITLE, 0)
    document.add_paragraph("Signé le 12 mars 2025 par l'ARS et la communauté de communes.")
    section = None
    for spec in fiches:
        if spec.section != section:
            section = spec.section
            document.add_heading(f"Axe {SECTIONS.index(section) + 1} : {section}", 1)
        table = document.add_table(rows=0, cols=2)
        table.style = "Table Grid"
        heading = table.add_row().cells
        merged = heading[0].merge(heading[1])
        merged.text = f"FICHE ACTION N°{spec.number}"

        def row(label, *paragraphs, table=table):
            cells = table.add_row().cells
            cells[0].text = label
            cells[1].text = paragraphs[0] if paragraphs else ""
            for extra in paragraphs[1:]:
                cells[1].add_paragraph(extra)
            return cells

        row("Intitulé de l'action", spec.title)
        if fiches.index(spec) % 2:
            row("Pilote(s)", "Partenaires associés")
            row(" / ".join(spec.pilots), ", ".join(spec.partners))
        else:
            row("Pilote(s)", " / ".join(spec.pilots))
            row("Partenaires associés", *[f"• {p}" for p in spec.partners])
        row("Public(s) cible(s)", spec.public)
        row("Objectif général", spec.objective)
        row("Objectifs spécifiques", *[f"- {o}" for o in spec.specific])
        row(
            "Étapes de mise en œuvre",
            *[f"{n}. {s.text} ({_years(s)})" for n, s in enumerate(spec.steps, 1)],
        )
        row("Calendrier", f"{_years(spec.steps[0])[:4]}-{START_YEAR + 4}")
        row("Budget prévisionnel", spec.budget)
        # "Indicateurs" merged down two rows, each kind on its own row.
        first = row("Indicateurs d'évaluation", *[f"De résultat : {r}" for r in spec.result])
        second = table.add_row().cells
        first[0].merge(second[0])
        second[1].text = "De processus : " + spec.monitoring[0]
        for extra in spec.monitoring[1:]:
            second[1].add_paragraph("De processus : " + extra)
        if spec.linked:
            row("Liens avec les autres fiches", f"Fiche action n°{spec.linked[0]}")
        row(spec.unknown[0], spec.unknown[1])
        paragraph = document.add_paragraph("")
        if page_breaks:
            paragraph.add_run().add_break(WD_BREAK.PAGE)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf_headings(fiches: list[Spec]) -> bytes:
    """A heading per action, labelled paragraphs in bold, lists as HTML lists."""
    import weasyprint

    e = html.escape
    parts = [f"<h1>{e(TITLE)}</h1>", "<p>Préambule du contrat, signé en 2025.</p>"]
    section = None
    for spec in fiches:
        if spec.section != section:
            section = spec.section
            parts.append(f"<h2>Priorité {SECTIONS.index(section) + 1} – {e(section)}</h2>")
        parts.append(f"<h3>Action {spec.number} : {e(spec.title)}</h3>")
        parts.append(f"<p><b>Porteur(s) de l'action :</b> {e(', '.join(spec.pilots))}</p>")
        parts.append(f"<p><b>Partenaires :</b> {e(', '.join(spec.partners))}</p>")
        parts.append(f"<p><b>Population ciblée :</b> {e(spec.public)}</p>")
        parts.append(f"<p><b>Objectif stratégique :</b> {e(spec.objective)}</p>")
        parts.append("<p><b>Objectifs opérationnels :</b></p><ul>")
        parts += [f"<li>{e(o)}</li>" for o in spec.specific]
        parts.append("</ul><p><b>Étapes :</b></p><ol>")
        parts += [f"<li>{e(s.text)} – {_years(s)}</li>" for s in spec.steps]
        parts.append("</ol>")
        parts.append(f"<p><b>Budget :</b> {e(spec.budget)}</p>")
        parts.append("<p><b>Indicateurs de résultat :</b></p><ul>")
        parts += [f"<li>{e(r)}</li>" for r in spec.result]
        parts.append("</ul><p><b>Indicateurs de suivi :</b></p><ul>")
        parts += [f"<li>{e(m)}</li>" for m in spec.monitoring]
        parts.append("</ul>")
        if spec.linked:
            parts.append(f"<p><b>Liens avec :</b> fiche {spec.linked[0]}, PRS Occitanie</p>")
        parts.append(f"<p><b>{e(spec.unknown[0])} :</b> {e(spec.unknown[1])}</p>")
    css = (
        "@page { size: A4; margin: 2cm } body { font-family: 'DejaVu Sans'; font-size: 10pt }"
        " ul, ol { margin: 0 } li { margin: 0 }"
    )
    page = f'<!doctype html><html><head><meta charset="utf-8"><style>{css}</style></head>'
    return weasyprint.HTML(string=page + "<body>" + "".join(parts) + "</body></html>").write_pdf()


def _bold_paragraph(document, label: str, text: str = ""):
    paragraph = document.add_paragraph()
    paragraph.add_run(label).bold = True
    if text:
        paragraph.add_run(" " + text)
    return paragraph


def docx_bold(fiches: list[Spec]) -> bytes:
    """Bold labels followed by text on the same line or by bullet paragraphs."""
    import docx

    document = docx.Document()
    document.add_paragraph(TITLE)
    section = None
    for spec in fiches:
        if spec.section != section:
            section = spec.section
            document.add_paragraph(
                f"Orientation stratégique {SECTIONS.index(section) + 1} – {section}"
            )
        document.add_paragraph(f"Fiche n°{spec.number} – {spec.title}")
        _bold_paragraph(document, "Pilotes :", "; ".join(spec.pilots))
        _bold_paragraph(document, "Partenaires :")
        for partner in spec.partners:
            document.add_paragraph(partner, style="List Bullet")
        _bold_paragraph(document, "Public cible :", spec.public)
        _bold_paragraph(document, "Objectif général :", spec.objective)
        _bold_paragraph(document, "Objectifs spécifiques :")
        for objective in spec.specific:
            document.add_paragraph(objective, style="List Bullet")
        _bold_paragraph(document, "Actions :")
        for step in spec.steps:
            document.add_paragraph(f"{step.text} : {_years(step)}", style="List Number")
        _bold_paragraph(document, "Financement :", spec.budget)
        _bold_paragraph(document, "Indicateurs de résultat :", "; ".join(spec.result))
        _bold_paragraph(document, "Indicateurs de processus :")
        for indicator in spec.monitoring:
            document.add_paragraph(indicator, style="List Bullet")
        _bold_paragraph(document, spec.unknown[0] + " :", spec.unknown[1])
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def docx_heading_labels(fiches: list[Spec]) -> bytes:
    """Labels as headings (Word "Heading 3") above their text."""
    import docx

    document = docx.Document()
    document.add_heading(TITLE, 0)
    section = None
    for spec in fiches:
        if spec.section != section:
            section = spec.section
            document.add_heading(f"Ambition {SECTIONS.index(section) + 1} : {section}", 1)
        document.add_heading(f"Fiche action {spec.number} : {spec.title}", 2)

        def block(label, *lines):
            document.add_heading(label, 3)
            for line in lines:
                document.add_paragraph(line)

        block("Pilote", *spec.pilots)
        block("Partenaires", ", ".join(spec.partners))
        block("Public visé", spec.public)
        block("Objectif général", spec.objective)
        block("Objectifs opérationnels", *[f"- {o}" for o in spec.specific])
        block("Étapes", *[f"{chr(65 + n)}) {s.text}" for n, s in enumerate(spec.steps)])
        block("Échéancier", *[f"{chr(65 + n)}) {_years(s)}" for n, s in enumerate(spec.steps)])
        block("Budget", spec.budget)
        block("Indicateurs de résultat", *spec.result)
        block("Indicateurs de suivi", *spec.monitoring)
        block(spec.unknown[0], spec.unknown[1])
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def text_colons(fiches: list[Spec]) -> bytes:
    """Plain text: "ACTION 4" headings, labels alone on their line with a colon."""
    lines = [TITLE.upper(), "", "SOMMAIRE"]
    lines += [
        f"Action {spec.number} - {spec.title} ........ {n + 3}" for n, spec in enumerate(fiches)
    ]
    lines += [""]
    section = None
    for spec in fiches:
        if spec.section != section:
            section = spec.section
            lines += [f"AXE {SECTIONS.index(section) + 1} - {section.upper()}", ""]
        lines += [f"ACTION {spec.number}", spec.title, ""]
        lines += ["Pilote(s) :", *spec.pilots, ""]
        lines += ["Partenaire(s) :", *[f"- {p}" for p in spec.partners], ""]
        lines += ["Public :", spec.public, ""]
        lines += ["Objectif :", spec.objective, ""]
        lines += ["Objectifs spécifiques :", *[f"* {o}" for o in spec.specific], ""]
        lines += [
            "Étapes :",
            *[f"{n}) {s.text} ({_contract_years(s)})" for n, s in enumerate(spec.steps, 1)],
            "",
        ]
        lines += ["Budget :", spec.budget, ""]
        lines += ["Indicateurs :", *[f"- {r}" for r in spec.result + spec.monitoring], ""]
        lines += [f"{spec.unknown[0]} :", spec.unknown[1], ""]
    return "\n".join(lines).encode()


LAYOUTS = {
    "docx-tables": (docx_tables, "contrat-tableaux.docx"),
    "pdf-headings": (pdf_headings, "contrat-titres.pdf"),
    "docx-bold": (docx_bold, "contrat-gras.docx"),
    "docx-heading-labels": (docx_heading_labels, "contrat-rubriques-titres.docx"),
    "text-colons": (text_colons, "contrat-deux-points.txt"),
}


# --- scoring -------------------------------------------------------------------------------

FIELDS = [
    "found",
    "title",
    "section",
    "pilots",
    "partners",
    "public",
    "objective",
    "specific",
    "actions",
    "deadlines",
    "result_indicators",
    "monitoring_indicators",
    "budget",
    "unknown_rubric",
]


def _n(text: str) -> str:
    return fold(squash(text)).replace("’", "'").strip(" .;")


def _ns(items) -> list[str]:
    return [_n(i) for i in items]


def score(draft, expected: list[Spec], layout: str = "") -> dict[str, tuple[int, int]]:
    """Per field: (right, total) over the expected fiches."""
    by_number = {f.number: f for f in draft.fiches}
    sections = {s.key: s.title for s in draft.sections}
    out = {name: [0, 0] for name in FIELDS}
    for spec in expected:
        fiche = by_number.get(spec.number)
        checks = {"found": fiche is not None}
        if fiche is not None:
            extra_values = [_n(str(v)) for v in fiche.extra.values()]
            checks |= {
                "title": _n(fiche.title) == _n(spec.title),
                "section": _n(sections.get(fiche.section_key, "")) == _n(spec.section),
                "pilots": _ns(r.as_written for r in fiche.pilots) == _ns(spec.pilots),
                "partners": _ns(r.as_written for r in fiche.partners) == _ns(spec.partners),
                "public": _n(fiche.public) == _n(spec.public),
                "objective": _n(fiche.strategic_objective) == _n(spec.objective),
                "specific": _ns(fiche.operational_objectives) == _ns(spec.specific),
                "actions": _ns(a.text for a in fiche.actions) == _ns(s.text for s in spec.steps),
                "deadlines": [a.deadline_years for a in fiche.actions]
                == [s.years for s in spec.steps],
                "result_indicators": _ns(i.text for i in fiche.indicators if i.kind == "result")
                == _ns(spec.result),
                "monitoring_indicators": _ns(
                    i.text for i in fiche.indicators if i.kind == "monitoring"
                )
                == _ns(spec.monitoring),
                "budget": _n(spec.budget) in extra_values,
                "unknown_rubric": _n(fiche.extra.get(spec.unknown[0], "")) == _n(spec.unknown[1]),
            }
        for name in FIELDS:
            out[name][1] += 1
            out[name][0] += bool(checks.get(name))
    return {name: (right, total) for name, (right, total) in out.items()}


def share(scores: dict[str, tuple[int, int]]) -> float:
    right = sum(r for r, _ in scores.values())
    total = sum(t for _, t in scores.values())
    return right / total if total else 0.0
