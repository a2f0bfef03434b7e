"""Bad input gets a clear French message naming the problem; good input in any encoding parses."""

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pilotis.importers.registry import FORMATS, detect_format, parse_document
from pilotis.plans.draft import ParseError, PlanDraft
from tests.seeds import (
    BROCHURE,
    CARCASSONNE,
    CONFLUENCES,
    CPTS,
    PRS_ARIEGE,
    carcassonne_draft,
    seed_bytes,
)


def summary(draft: PlanDraft):
    return (
        len(draft.fiches),
        sum(len(f.actions) for f in draft.fiches),
        [(f.number, f.title, f.span.first_line, f.span.last_line) for f in draft.fiches],
        [[(a.letter, a.text, a.deadline_years) for a in f.actions] for f in draft.fiches],
        [[(i.kind, i.actions, i.text) for i in f.indicators] for f in draft.fiches],
        [[(r.as_written, r.organisation) for r in f.roles] for f in draft.fiches],
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "est vide"),
        (b"   \n\n \r\n", "est vide"),
        (b"\x00\x01\x02\x03binary\x00\xff" * 50, "fichier binaire"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "est un PDF"),
        (b"PK\x03\x04\x14\x00\x06\x00", "archive ZIP ou un document Office"),
        ("Compte rendu de réunion\nRien à voir.\n".encode(), "n'est pas reconnu"),
    ],
    ids=["empty", "blank", "binary", "pdf", "zip", "not-a-plan"],
)
def test_bad_input_is_refused_with_a_french_message(data, expected):
    with pytest.raises(ParseError) as error:
        parse_document(data, "contrat.txt")
    message = str(error.value)
    assert expected in message
    assert "« contrat.txt »" in message  # the message names the file


def test_a_document_that_is_not_a_cls_is_refused():
    with pytest.raises(ParseError, match="n'est pas reconnu comme un plan importable"):
        parse_document(seed_bytes(BROCHURE), BROCHURE)


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_windows_1252_and_latin_1_files_give_the_same_plan(encoding):
    # The contract holds a few characters these encodings lack (arrows): they become "?".
    text = seed_bytes(CARCASSONNE).decode("utf-8")
    legacy = text.encode(encoding, errors="replace")
    same_text_in_utf8 = legacy.decode(encoding).encode("utf-8")
    draft = parse_document(legacy, CARCASSONNE)
    assert summary(draft) == summary(parse_document(same_text_in_utf8, CARCASSONNE))
    assert len(draft.fiches) == 55
    assert draft.fiches[1].title == "Soutenir la parentalité"


def test_windows_line_endings_give_the_same_plan_and_line_numbers():
    crlf = seed_bytes(CARCASSONNE).replace(b"\n", b"\r\n")
    assert summary(parse_document(crlf, CARCASSONNE)) == summary(carcassonne_draft())


def test_utf8_bom_is_ignored():
    bom = b"\xef\xbb\xbf" + seed_bytes(CARCASSONNE)
    assert summary(parse_document(bom, CARCASSONNE)) == summary(carcassonne_draft())


def test_duplicate_fiche_numbers_are_refused_with_the_numbers():
    text = seed_bytes(CARCASSONNE).decode("utf-8").replace("Fiche n°3 \n", "Fiche n°2 \n")
    with pytest.raises(ParseError, match="plusieurs fiches numérotées 2"):
        parse_document(text.encode(), CARCASSONNE)


@pytest.mark.parametrize(
    ("seed", "code"),
    [
        (CARCASSONNE, "cls-ambitions"),
        (CONFLUENCES, "cls-axes"),
        (PRS_ARIEGE, "prs-scheme"),
        (CPTS, "cpts-project"),
        (BROCHURE, None),
    ],
)
def test_each_seed_is_recognised_by_exactly_one_format(seed, code):
    text = seed_bytes(seed).decode("utf-8")
    assert [f.code for f in FORMATS if f.detect(text)] == ([code] if code else [])
    assert (detect_format(text).code if code else detect_format(text)) == code


PLAN_SEEDS = [CARCASSONNE, CONFLUENCES, PRS_ARIEGE, CPTS]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(PLAN_SEEDS),
    start=st.integers(0, 12000),
    length=st.integers(0, 4000),
    rng=st.randoms(use_true_random=False),
    mangle=st.sampled_from(["none", "shuffle", "duplicate"]),
)
def test_truncated_shuffled_or_duplicated_documents_give_a_draft_or_a_clear_error(
    seed, start, length, rng, mangle
):
    """Every parser, fed part of its document with blocks shuffled or repeated, either returns a
    draft or raises ParseError with a message: no other exception escapes."""
    lines = seed_bytes(seed).decode("utf-8").split("\n")[start : start + length]
    blocks = "\n".join(lines).split("\n\n")
    if mangle == "shuffle":
        rng.shuffle(blocks)
    elif mangle == "duplicate" and blocks:
        index = rng.randrange(len(blocks))
        blocks.insert(index, blocks[index])
    try:
        draft = parse_document("\n\n".join(blocks).encode(), seed)
    except ParseError as error:
        assert str(error)
    else:
        assert draft.fiches


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000))
def test_random_text_never_raises_anything_but_parse_error(text):
    with contextlib.suppress(ParseError):
        parse_document(text.encode("utf-8", "surrogatepass"), "x.txt")


def test_a_recognised_document_without_any_fiche_is_refused(monkeypatch):
    from pilotis.importers import registry

    empty = registry.Format(
        code="test",
        label="Plan de test",
        detect=lambda text: True,
        parse=lambda text, name: PlanDraft("cls", "vide", "Vide", name, levels=[]),
    )
    monkeypatch.setattr(registry, "FORMATS", [empty])
    with pytest.raises(ParseError, match="a la forme d'un plan de test, mais aucune fiche"):
        parse_document(b"Sommaire seulement", "sommaire.txt")
