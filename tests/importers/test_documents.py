"""PDF and DOCX uploads give the same plan as the text; bad files get a clear French message."""

import dataclasses
import io
import threading
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pilotis.importers.documents import extract_text
from pilotis.importers.registry import parse_document
from pilotis.plans.draft import ParseError, PlanDraft
from tests.importers.rendering import (
    minimal_pdf,
    render_docx,
    render_html_pdf,
    render_pdf,
    render_scanned_pdf,
    zip_of,
)
from tests.seeds import CARCASSONNE, CONFLUENCES, CPTS, PRS_ARIEGE, seed_bytes

# --- fixtures: each seed rendered once per test session ----------------------------------


@pytest.fixture(scope="session")
def rendered(tmp_path_factory):
    """`rendered(seed, "pdf" | "docx")`: the bytes of the seed rendered in that format.

    Rendering the 11,000-line contract takes seconds: done once, kept in a session folder.
    """
    folder = tmp_path_factory.mktemp("rendered")
    renderers = {"pdf": render_pdf, "docx": render_docx}

    def get(seed: str, kind: str) -> bytes:
        path = folder / f"{seed.removesuffix('.txt')}.{kind}"
        if not path.exists():
            path.write_bytes(renderers[kind](seed_bytes(seed).decode("utf-8")))
        return path.read_bytes()

    return get


def comparable(draft: PlanDraft) -> dict:
    """The whole draft as plain data, without the document name its spans carry."""

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "document"}
        if isinstance(value, list | tuple):
            return [strip(v) for v in value]
        return value

    return strip(dataclasses.asdict(draft))


def summary(draft: PlanDraft) -> list:
    """What a reviewer checks first, fiche by fiche: a readable diff when the plans differ."""
    return [
        (
            f.number,
            f.title,
            f.section_key,
            (f.span.first_line, f.span.last_line),
            [(a.letter, a.text, a.deadline_years) for a in f.actions],
            [(i.kind, i.actions, i.text) for i in f.indicators],
            [(r.role, r.as_written, r.organisation) for r in f.roles],
            f.operational_objectives,
        )
        for f in draft.fiches
    ]


def documents_of(draft: PlanDraft) -> set[str]:
    spans = [f.span for f in draft.fiches] + [a.span for f in draft.fiches for a in f.actions]
    return {draft.document} | {s.document for s in spans}


# --- the seeds as PDF and DOCX -----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["pdf", "docx"])
def test_the_carcassonne_contract_as_pdf_or_docx_gives_the_same_plan(rendered, kind):
    text_draft = parse_document(seed_bytes(CARCASSONNE), CARCASSONNE)
    name = f"CLS Carcassonne Agglo.{kind}"
    draft = parse_document(rendered(CARCASSONNE, kind), name)

    assert documents_of(draft) == {name}  # provenance names the uploaded file
    assert len(draft.fiches) == 55
    assert sum(len(f.actions) for f in draft.fiches) == 192
    assert summary(draft) == summary(text_draft)
    # Everything else too: sections, unplaced lines, organisations, and line numbers, since the
    # extracted text keeps the page's lines, blank ones included.
    assert comparable(draft) == comparable(text_draft)


@pytest.mark.slow
def test_the_cpts_project_as_pdf_gives_the_same_fiches(rendered):
    """A PDF has no tab characters: its table cells come back as gaps between words, and an
    empty cell vanishes into its neighbour's gap. The fiches, actions, indicators and roles are
    the same as from the text; plan-level tables (perimeter, members, budget) may differ where
    the document leaves cells empty, and their checks say so."""
    text_draft = parse_document(seed_bytes(CPTS), CPTS)
    draft = parse_document(rendered(CPTS, "pdf"), "plan.pdf")
    assert summary(draft) == summary(text_draft)
    fiche_fields = [
        (f.context, f.strategic_objective, f.public, f.extra, [a.extra for a in f.actions])
        for d in (draft, text_draft)
        for f in d.fiches
    ]
    half = len(fiche_fields) // 2
    assert fiche_fields[:half] == fiche_fields[half:]
    assert [c.population for c in draft.perimeter] == [c.population for c in text_draft.perimeter]
    assert draft.extra["budget_total"] == text_draft.extra["budget_total"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("seed", "kind"),
    [
        (CONFLUENCES, "pdf"),
        (CONFLUENCES, "docx"),
        (PRS_ARIEGE, "pdf"),
        (PRS_ARIEGE, "docx"),
        (CPTS, "docx"),
    ],
)
def test_the_other_seeds_as_pdf_or_docx_give_the_same_plan(rendered, seed, kind):
    text_draft = parse_document(seed_bytes(seed), seed)
    draft = parse_document(rendered(seed, kind), f"plan.{kind}")
    assert draft.fiches
    assert summary(draft) == summary(text_draft)
    assert comparable(draft) == comparable(text_draft)


# --- PDF layout: the text parsers rely on lines, blank lines, indentation, trailing spaces ----

MONOSPACE = """
@page { size: 400pt 120pt; margin: 10pt }
body { margin: 0 }
pre { margin: 0; font: 9pt/1.2 "DejaVu Sans Mono"; white-space: pre; orphans: 1; widows: 1 }
"""


def test_pdf_lines_keep_blank_lines_indentation_and_trailing_spaces_across_pages():
    lines = [
        "Fiche n°2 ",
        "",
        "   indented  twice  spaced",
        "",
        "",
        "Améliorer le bien-",  # a hyphen at the end of a line stays (PDFium marks it)
        "être de l'enfant ",  # the trailing space ends a wrapped line of the side column
        "Renforcer les liens",  # ...and its absence the objective
    ] * 3
    # Eight lines fit a page: blank lines fall on page breaks, at the top and at the bottom.
    text = "\n".join(lines)
    pdf = render_html_pdf(f"<pre>\n{text}</pre>", MONOSPACE)
    assert extract_text(pdf, "fiche.pdf") == text + "\n"


def test_pdf_in_a_proportional_font_reads_as_words_with_single_spaces():
    paragraph = (
        "La fiche action précise les objectifs, les partenaires et le calendrier de chaque "
        "action, afin que le comité de pilotage suive leur avancement année après année."
    )
    css = """
    @page { size: A5; margin: 1.5cm }
    p { font: 11pt/1.4 "DejaVu Sans"; text-align: justify; margin: 0 0 1em }
    h1 { font: bold 14pt "DejaVu Sans" }
    """
    pdf = render_html_pdf(f"<h1>Fiche n°7 : Soutenir la parentalité</h1><p>{paragraph}</p>", css)
    text = extract_text(pdf, "fiche.pdf")
    lines = [line for line in text.split("\n") if line.strip()]
    assert lines[0] == "Fiche n°7 : Soutenir la parentalité"
    assert " ".join(line.strip() for line in lines[1:]) == paragraph
    assert "\n\n" in text  # the space below the heading is a blank line


def test_pdf_ligatures_read_as_letters():
    # Word processors and WeasyPrint draw "fi" as one glyph; the parsers look for "Fiche"/"fiche".
    pdf = render_html_pdf(
        "<p>Fiche n°1 : les fiches afin de fixer</p>",
        'p { font: 12pt "DejaVu Serif"; font-variant-ligatures: common-ligatures }',
    )
    assert extract_text(pdf, "f.pdf").strip() == "Fiche n°1 : les fiches afin de fixer"


def test_pdf_characters_beyond_the_bmp_come_whole():
    # PDFium gives them as two UTF-16 halves at two indexes.
    pdf = render_html_pdf("<pre>Fiche 𝐀 n°1 😀 fin</pre>", MONOSPACE)
    assert extract_text(pdf, "f.pdf") == "Fiche 𝐀 n°1 😀 fin\n"


def test_pdf_extraction_is_safe_from_several_threads():
    # PDFium is not thread-safe: extract_text serialises its calls.
    text = "Fiche n°1 \n" * 40
    pdf = render_html_pdf(f"<pre>\n{text}</pre>", MONOSPACE)
    expected = extract_text(pdf, "f.pdf")
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(extract_text(pdf, "f.pdf")))
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 6


# --- DOCX ------------------------------------------------------------------------------


def docx_bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_paragraphs_and_table_cells_row_by_row_in_document_order():
    import docx

    document = docx.Document()
    document.add_paragraph("Fiche n°3 ")
    document.add_paragraph("Pilotage :\tCAF")
    table = document.add_table(rows=3, cols=3)
    table.cell(0, 0).text = "Action"
    table.cell(0, 1).merge(table.cell(0, 2)).text = "Echéance"  # one cell over two columns
    table.cell(1, 0).merge(table.cell(2, 0)).text = "A  Réunir les partenaires"  # two rows
    table.cell(1, 1).text = "Année 1"
    table.cell(1, 2).text = "O/N"
    table.cell(1, 2).add_paragraph("2e paragraphe de cellule")
    nested = table.cell(2, 1).add_table(rows=1, cols=2)
    nested.cell(0, 0).text = "imbriquée 1"
    nested.cell(0, 1).text = "imbriquée 2"
    table.cell(2, 2).text = "fin de ligne"
    document.add_paragraph("Public cible : familles")

    assert extract_text(docx_bytes(document), "fiche.docx").split("\n") == [
        "Fiche n°3 ",
        "Pilotage :\tCAF",
        "Action",
        "Echéance",
        "A  Réunir les partenaires",
        "Année 1",
        "O/N",
        "2e paragraphe de cellule",
        "",  # the cell's own paragraph, before the table it holds
        "imbriquée 1",
        "imbriquée 2",
        "",  # Word ends a cell holding a table with a paragraph
        "fin de ligne",
        "Public cible : familles",
        "",
    ]


def test_docx_text_in_content_controls_revisions_breaks_and_text_boxes_is_read():
    import docx
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    document = docx.Document()
    document.add_paragraph("Fiche n°4")
    body = document.element.body
    for xml in [
        # A content control of a template around a paragraph.
        f"<w:sdt {w}><w:sdtPr/><w:sdtContent><w:p><w:r><w:t>Pilotage : ARS</w:t></w:r></w:p>"
        "</w:sdtContent></w:sdt>",
        # Tracked changes: the insertion is text, the deletion is not.
        f"<w:p {w}><w:r><w:t xml:space='preserve'>Partenaires : </w:t></w:r>"
        "<w:ins w:id='1' w:author='x'><w:r><w:t>CPAM</w:t></w:r></w:ins>"
        "<w:del w:id='2' w:author='x'><w:r><w:delText>CAF</w:delText></w:r></w:del></w:p>",
        # A line break and a page break inside one paragraph; a non-breaking hyphen.
        f"<w:p {w}><w:r><w:t>Année 1</w:t><w:br/><w:t>Année 2</w:t><w:br w:type='page'/>"
        "<w:t>co</w:t><w:noBreakHyphen/><w:t>pilotage</w:t></w:r></w:p>",
        # A text box anchored in a paragraph.
        f"<w:p {w}><w:r><w:t>Objectifs</w:t></w:r><w:r><w:pict><w:txbxContent>"
        "<w:p><w:r><w:t>Dans la boîte</w:t></w:r></w:p></w:txbxContent></w:pict></w:r></w:p>",
    ]:
        body.insert(len(body) - 1, parse_xml(xml))  # before the section properties

    assert extract_text(docx_bytes(document), "fiche.docx").split("\n") == [
        "Fiche n°4",
        "Pilotage : ARS",
        "Partenaires : CPAM",
        "Année 1",
        "Année 2co-pilotage",
        "Objectifs",
        "Dans la boîte",
        "",
    ]


def test_a_macro_enabled_docm_reads_like_a_docx():
    import docx

    document = docx.Document()
    document.add_paragraph("Fiche n°5")
    main = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    macro = "application/vnd.ms-word.document.macroEnabled.main+xml"
    files = {}
    with zipfile.ZipFile(io.BytesIO(docx_bytes(document))) as archive:
        for name in archive.namelist():
            files[name] = archive.read(name)
    files["[Content_Types].xml"] = files["[Content_Types].xml"].replace(
        main.encode(), macro.encode()
    )
    assert extract_text(zip_of(files), "fiche.docm") == "Fiche n°5\n"


def test_plain_text_is_left_to_the_text_decoder():
    assert extract_text("Fiche n°1\n".encode(), "contrat.txt") is None
    assert extract_text(b"", "vide.txt") is None


# --- files that cannot be read: one clear French message each, naming the file ------------

XLSX = zip_of(
    {
        "[Content_Types].xml": "<Types/>",
        "xl/workbook.xml": "<workbook/>",
        "xl/worksheets/sheet1.xml": "<worksheet/>",
    }
)
ODT = zip_of({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<document/>"})
DAMAGED_DOCX = zip_of(
    {
        "[Content_Types].xml": "<Types",  # cut in the middle, like the rest
        "word/document.xml": "<w:document",
    }
)


@pytest.mark.parametrize(
    ("make", "filename", "expected"),
    [
        (render_scanned_pdf, "scan.pdf", "ne contient pas de texte : document numérisé ?"),
        (lambda: render_scanned_pdf(1), "scan.pdf", "Sa page ne porte aucun texte lisible"),
        (lambda: minimal_pdf(encrypted=True), "contrat.pdf", "PDF protégé par un mot de passe"),
        (lambda: minimal_pdf(), "vide.pdf", "ne contient pas de texte"),
        (
            lambda: render_html_pdf("<p>Fiche n°1</p>" * 50)[:-3000],
            "contrat.pdf",
            "est un PDF endommagé ou incomplet",
        ),
        (lambda: XLSX, "contrat.docx", "est un classeur Excel (XLSX), pas un document Word"),
        (lambda: ODT, "contrat.odt", "est un document OpenDocument (ODT), pas un document Word"),
        (lambda: zip_of({"a.txt": "x"}), "contrat.zip", "est une archive ZIP, pas un document"),
        (lambda: DAMAGED_DOCX, "contrat.docx", "document Word (DOCX) endommagé ou incomplet"),
        (lambda: render_docx("Fiche n°1")[:500], "contrat.docx", "mais il est endommagé"),
        (
            lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
            "contrat.doc",
            "document Office ancien format (.doc, .xls)",
        ),
    ],
    ids=[
        "scanned",
        "scanned-one-page",
        "encrypted",
        "no-text",
        "truncated-pdf",
        "xlsx-renamed",
        "odt",
        "zip",
        "damaged-docx",
        "truncated-docx",
        "old-doc",
    ],
)
def test_unreadable_documents_are_refused_with_a_french_message(make, filename, expected):
    with pytest.raises(ParseError) as error:
        parse_document(make(), filename)
    message = str(error.value)
    assert expected in message
    assert f"« {filename} »" in message


def test_the_scanned_pdf_message_says_what_to_do():
    with pytest.raises(ParseError) as error:
        extract_text(render_scanned_pdf(3), "scan.pdf")
    assert "Aucune de ses 3 pages ne porte de texte lisible" in str(error.value)
    assert "reconnaissance de caractères (OCR)" in str(error.value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    magic=st.sampled_from([b"%PDF-1.7\n", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"]),
    rest=st.binary(max_size=2000),
)
def test_garbage_behind_a_document_signature_only_ever_raises_parse_error(magic, rest):
    try:
        text = extract_text(magic + rest, "x.pdf")
    except ParseError as error:
        assert "« x.pdf »" in str(error)
    else:
        assert isinstance(text, str)


# --- Issue 9: limits of a PDF's extraction ----------------------------------------------------


def blank_pdf(pages: int) -> bytes:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument.new()
    for _ in range(pages):
        document.new_page(100, 100).close()
    out = io.BytesIO()
    document.save(out)
    document.close()
    return out.getvalue()


def test_a_pdf_of_50000_pages_is_refused_before_any_page_is_read(monkeypatch):
    from pilotis.importers import documents

    def unread(*args, **kwargs):
        raise AssertionError("no page may be read")

    monkeypatch.setattr(documents, "_read_glyphs", unread)
    with pytest.raises(ParseError) as refused:
        extract_text(blank_pdf(50_000), "annexes.pdf")
    assert str(refused.value).startswith(
        "Le fichier « annexes.pdf » a 50000 pages : Pilotis lit un PDF de 1000 pages au plus."
    )


def test_a_pdf_too_long_to_read_is_refused_with_the_page_reached(monkeypatch):
    from pilotis.importers import documents

    pdf = render_html_pdf("<pre>Fiche n°2\nSoutenir la parentalité</pre>", MONOSPACE)
    monkeypatch.setattr(documents, "MAX_PDF_SECONDS", -1.0)
    with pytest.raises(ParseError, match=r"trop long à lire : plus de -1 secondes après 0 pages"):
        extract_text(pdf, "lent.pdf")
    monkeypatch.setattr(documents, "MAX_PDF_SECONDS", 60.0)
    monkeypatch.setattr(documents, "MAX_PDF_GLYPHS", 5)
    with pytest.raises(ParseError, match=r"trop long à lire : plus de 5 caractères après 1 pages"):
        two_pages = '<pre>motmotmot</pre><pre style="break-before: page">fin</pre>'
        extract_text(render_html_pdf(two_pages, MONOSPACE), "long.pdf")
