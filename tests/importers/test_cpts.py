"""The CPTS health project parser, checked against the Bassin Carcassonnais project (no DB)."""

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pilotis.core.text import fold
from pilotis.importers import carcassonne, cpts
from pilotis.importers.cpts import calendar_years, clean, month_year, parse
from pilotis.importers.persist import check_draft
from pilotis.plans.draft import ParseError
from tests.seeds import CPTS, seed_bytes

OTHER_SEEDS = [
    "000_1d393093c933b2a1.txt",
    "001_78a9efdf112cd05a.txt",
    "002_e9dc27bbeb4aba5b.txt",
    "003_4693c211c99e4cd9.txt",
]
FICHE_NUMBERS = [
    "1.A",
    "1.B",
    "2.A",
    "2.B",
    "2.C",
    "2.D",
    "2.E",
    "3.A",
    "3.B",
    "3.C",
    "4",
    "5",
    "6",
]


def source() -> str:
    return seed_bytes(CPTS).decode("utf-8")


@pytest.fixture(scope="module")
def draft():
    return parse(source(), CPTS)


def fiche(draft, number):
    (found,) = [f for f in draft.fiches if f.number == number]
    return found


def strings(value):
    """Every string inside a JSON-like value (dict keys excepted)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)
    elif value is not None:
        yield str(value)


def draft_texts(draft) -> list[str]:
    """Every text of the draft: plan, sections, communes, fiches, extras and unplaced lines."""
    texts = [draft.title, draft.territory_name, *draft.signatories]
    texts += [s.title for s in draft.sections] + [s.number for s in draft.sections]
    texts += [f"{c.name} {c.insee_code} {c.population}" for c in draft.perimeter]
    for f in draft.fiches:
        texts += [f.number, f.title, f.context, f.strategic_objective, f.public]
        texts += f.operational_objectives + f.programmes + [r.as_written for r in f.roles]
        texts += [f"{a.letter} {a.text} {a.deadline_as_written}" for a in f.actions]
        texts += [v for a in f.actions for v in a.extra.values()]
        texts += [i.text for i in f.indicators] + list(f.extra.values())
    texts += list(strings(draft.extra)) + list(draft.extra.get("glossary", {}))
    texts += [u.text for u in draft.unplaced]
    return texts


# --- detection ---------------------------------------------------------------------------


def test_looks_like_recognises_the_cpts_project_only():
    assert cpts.looks_like(source())
    for name in OTHER_SEEDS:
        assert not cpts.looks_like(seed_bytes(name).decode("utf-8")), name
    # The CLS parser must not claim it either, whatever the order of the registry.
    assert not carcassonne.looks_like(source())


def test_a_text_without_missions_is_refused_in_french():
    with pytest.raises(ParseError, match="aucune mission"):
        parse("Projet de santé\n\nFiche action 1.A - Accès\nFiche action 1.B - SNP\n", "x.txt")
    with pytest.raises(ParseError, match="aucune fiche action"):
        parse("Projet de santé CPTS\n\nMISSION 1 ACCES AUX SOINS\n\nRien.\n", "x.txt")


# --- plan, missions, fiches --------------------------------------------------------------


def test_plan_header(draft):
    assert draft.kind == "cpts"
    assert draft.title == "Projet de Santé – CPTS Bassin Carcassonnais"
    assert draft.slug == "projet-de-sante-cpts-bassin-carcassonnais"
    assert draft.territory_name == "CPTS du Bassin Carcassonnais"
    assert draft.territory_level == "perimeter"
    assert draft.levels == ["Mission"]
    assert draft.signatories == ["CPTS du Bassin Carcassonnais"]
    assert draft.signature_date.isoformat() == "2022-07-22"
    # Contract years count from the ACI signature, whose date the document does not give.
    assert draft.start_year is None
    assert draft.extra["signature"]["representative"] == "Dr Anne Mandonnaud - Présidente"
    identity = {i["label"]: i["value"] for i in draft.extra["identity"]}
    assert identity["Date de dépôt"] == "Juillet 2022"
    assert identity["N° Association (le cas échéant)"] == "W111008709"
    assert (
        "☒ Taille 2 (entre 40 000 et 80 000 habitants)"
        in identity["Taille de la CPTS (population)"]
    )
    assert check_draft(draft) == []


def test_six_missions_thirteen_fiches(draft):
    assert [(s.key, s.level, s.number, s.parent_key) for s in draft.sections] == [
        (f"M{n}", 0, str(n), None) for n in range(1, 7)
    ]
    assert [s.title for s in draft.sections] == [
        "Accès aux soins",
        "Organisation de parcours pluriprofessionnels autour du patient",
        "Développement des actions territoriales de prévention",
        "Participation à la réponse aux crises sanitaires",
        "Développement de la qualité et de la pertinence des soins",
        "Accompagnement des professionnels de santé sur le territoire",
    ]
    assert [f.number for f in draft.fiches] == FICHE_NUMBERS
    assert [f.section_key for f in draft.fiches] == ["M" + n.split(".")[0] for n in FICHE_NUMBERS]
    assert sum(len(f.actions) for f in draft.fiches) == 51
    assert sum(len(f.indicators) for f in draft.fiches) == 46
    assert draft.fiche_part == (883, 2430)


def test_fiches_do_not_contain_the_diagnostic(draft):
    first, _last = draft.fiche_part
    assert all(f.span.first_line >= first for f in draft.fiches)
    diagnostic = draft.extra["diagnostic"]
    assert diagnostic[0]["first_line"] == 213 and diagnostic[-1]["last_line"] < first
    headings = [b["heading"] for b in diagnostic]
    assert "1 – le territoire de la CPTS" in headings
    assert "◆ Taux de mortalité" in headings
    text = "\n".join(b["text"] for b in diagnostic)
    assert "Sa population est de 60 371 habitants en 2018" in text
    # LaTeX read through: "$28 \times 4,5 \times 4 = 504$".
    assert "Consultation par mois par MG : 28 × 4,5 × 4 = 504 cs/mois/MG" in text
    # An HTML list of the needs table, one item a line.
    assert "\n- Manque de matériel, et pénurie de médicaments au quotidien\n" in text


def test_perimeter_of_17_communes(draft):
    communes = draft.perimeter
    assert len(communes) == 17
    assert [c.name for c in communes][:3] == ["Alairac", "Alzonne", "Arzens"]
    assert communes[-1].name == "Villesèquelande"
    total = sum(c.population for c in communes)
    assert total == draft.extra["perimeter_total"]["stated"] == 60_371
    assert draft.extra["perimeter_total"]["computed"] == total
    assert 59_000 < total < 61_000  # "about 60,000 inhabitants"
    carcassonne_commune = next(c for c in communes if c.name == "Carcassonne")
    assert carcassonne_commune.population == 46_513
    # The document swaps its "Code Insee" and "Code postal" headers: the unique codes are INSEE.
    assert carcassonne_commune.insee_code == "11069"
    assert len({c.insee_code for c in communes}) == 17
    (check,) = draft.extra["perimeter_check"]
    assert "colonnes inversées" in check["message"]


def test_fiche_1A_reads_like_the_paper(draft):
    f = fiche(draft, "1.A")
    assert f.title == "Accès à un médecin traitant"
    assert (f.span.first_line, f.span.last_line) == (885, 1009)
    assert f.extra["label"] == "Améliorer l'accès à un médecin traitant"
    assert f.extra["mission"] == "Mission 1- Accès aux soins"
    assert f.extra["axis"] == "Axe 1 : Améliorer l'accès à un médecin traitant"
    assert f.extra["pilots"] == "Anne Mandonnaud (Médecin généraliste)"
    assert f.extra["working_group"].startswith("Médecins généralistes : Dr Anne Mandonnaud")
    assert [(r.role, r.organisation) for r in f.roles] == [("pilot", "cpts-bassin-carcassonnais")]
    assert f.context.startswith(
        "- Selon l'outil Rézone de la CPAM, 9% de la population soit environ 5 000 patients"
    )
    assert "\n  - 4,5% des personnes de + de 70 ans sans MT soit 403 patients\n" in f.context
    assert f.strategic_objective == "Améliorer l'accès à un médecin traitant"
    assert f.public.startswith("Les patients du territoire sans médecin traitant")
    assert f.operational_objectives == [
        "Augmenter le nombre de personnes fragiles avec un médecin traitant",
        "Informer, sensibiliser et éduquer la population générale sur les possibilités locales "
        "de l'accès d'accès aux soins et au médecin traitant",
        "Sensibiliser et mobiliser les professionnels de santé libéraux pour faciliter l'accès "
        "à un médecin traitant",
        "Créer et mettre en œuvre des protocoles de coopération pour libérer du temps médical",
        "Créer un plan d'action afin d'améliorer l'accès à un médecin traitant",
    ]
    assert [(a.letter, a.text) for a in f.actions] == [
        (
            "1",
            "Recenser périodiquement les patients sans médecin traitant et prioriser les "
            "personnes fragiles",
        ),
        ("2", "Réaliser un plan d'action pour améliorer l'accès à un médecin traitant"),
        (
            "3",
            "Travailler sur les pratiques et l'organisation médicale afin de libérer du temps "
            "médical",
        ),
        (
            "4",
            "Développer la télémédecine et la téléexpertise pour les patients ne relevant pas de "
            "l'urgence",
        ),
        ("5", "Organiser une campagne d'information"),
    ]
    assert f.actions[2].extra["details"] == (
        "- Travailler au développement de coopération ou de protocoles pluriprofessionnels "
        "entre MG/infirmiers/kinésithérapeutes/pharmaciens/biologistes avec les institutions\n"
        "- Promotion des assistants médicaux et IPA sur le territoire\n"
        "  - Protocole de renouvellement des traitements des patients stables par les IPA"
    )
    assert (f.actions[0].span.first_line, f.actions[0].span.last_line) == (941, 945)
    assert [i.kind for i in f.indicators] == ["monitoring"] * 3
    assert f.indicators[0].text.startswith(
        "Mise en place d'un plan d'actions pour améliorer l'accès à un médecin traitant : "
        "Réalisation d'un état des lieux des médecins généralistes"
    )
    assert f.indicators[0].text.endswith(
        "; Nombre d'actions de communication effectuées : vers les PSL spécifiquement et dans "
        "second temps vers la population"
    )
    # "2. Indicateur de suivi : …": the label gives the kind and leaves the text.
    assert f.indicators[1].text == (
        "réduction du % de patients sans médecin traitant pour les patients fragiles en "
        "fonction du taux de MG présents sur le territoire"
    )
    assert (f.indicators[1].span.first_line, f.indicators[1].span.last_line) == (992, 992)
    assert f.extra["means"].startswith("Moyens humains : temps de coordination, une secrétaire")
    assert f.extra["budget"] == (
        "100 000€ dont 30 000€ de part variable en fonction des résultats\n"
        "Budget à répartir sur les 2 fiches action de la mission accès aux soins"
    )
    (flag,) = f.flags
    assert flag.field == "indicators" and "indicateurs 1, 3" in flag.message


def test_fiche_4_reads_like_the_paper(draft):
    f = fiche(draft, "4")
    assert f.title == "Réponse à la crise sanitaire"
    assert f.section_key == "M4"
    assert f.extra["label"] == "Organisation de la réponse aux crises sanitaires"  # "Libelle"
    assert f.extra["pilots"] == "Marie Crétal (Pharmacien)"
    assert f.strategic_objective == (
        "Adapter l'organisation territoriale des PSL et préparer la participation de la CPTS "
        "à la gestion de crises sanitaires graves"
    )
    assert f.public == (
        "Toute la population du territoire de la CPTS du Bassin Carcassonnais ± 60 000 "
        "personnes; Les PSL de la CPTS"
    )
    assert len(f.operational_objectives) == 4
    assert f.operational_objectives[-1] == "Construire une coordination efficace Ville-Hôpital-ESMS"
    assert [(a.letter, a.text) for a in f.actions] == [
        ("1", "Élaboration d'un plan d'action"),
        ("2", "Identifier et recenser"),
        ("3", "Réaliser une enquête auprès des PSL"),
    ]
    assert [i.text for i in f.indicators] == [
        "Le plan d'action est élaboré et actualisé annuellement",
        "Création d'un répertoire des plans d'urgences et de crises existants sur le territoire",
        "Nombre de référents de « Crise Sanitaire » identifiés par catégorie PSL",
    ]
    partners = {r.organisation: r.as_written for r in f.partners}
    assert partners["ch"] == "Centre Hospitalier"
    assert partners["samu11"] == "Centre 15"
    assert partners["sas11"] == "SAS"
    assert partners["prefecture-aude"] == "préfecture"
    assert partners["mmg-carcassonne"] == "Maison médicale de garde"
    assert {"ars", "cpam", "urps", "dac11", "departement", "cls"} <= set(partners)
    # Professions and kinds of structures are not organisations.
    assert "Professionnels de Santé libéraux" in f.extra["actors"]
    assert not any("libéraux" in r.as_written for r in f.roles)
    assert f.extra["budget"].startswith("35 000€ la première année puis 17 500€")


def test_bare_names_of_local_bodies_depend_on_the_department():
    """ "préfecture" is the Aude's because the perimeter's INSEE codes are in the Aude."""
    # Move the INSEE column (the third one, see test_perimeter_of_17_communes) to Tarn-et-Garonne.
    text = re.sub(r"(?m)^([^\t\n]+\t\d{5}\t)11(\d{3}\t)", r"\g<1>82\2", source())
    other = parse(text, CPTS)
    assert {c.insee_code[:2] for c in other.perimeter} == {"82"}
    f = fiche(other, "4")
    assert "prefecture-aude" not in {r.organisation for r in f.roles}
    assert "sas11" not in {r.organisation for r in f.roles}


def test_arrows_are_sub_items(draft):
    details = fiche(draft, "6").actions[2].extra["details"]
    assert "\n  - Choix des stages (septembre/ mai)\n" in details


def test_mission_number_written_wrong_is_flagged(draft):
    f = fiche(draft, "5")
    assert f.extra["mission"].startswith("Mission 6- ")
    assert any("rangée sous la mission 5" in flag.message for flag in f.flags)


def test_repeated_working_group_heading_is_read_as_actors(draft):
    for number in ("2.E", "3.C", "5"):
        f = fiche(draft, number)
        assert f.extra["actors"].startswith("- "), number
        assert any("Acteurs concernés" in flag.message for flag in f.flags), number
    assert "actors" not in fiche(draft, "1.A").extra  # the document gives none


def test_pilot_contact_details_are_not_imported(draft):
    texts = [v for f in draft.fiches for v in f.extra.values()]
    assert not any("@" in t for t in texts)
    contacts = [u for u in draft.unplaced if u.reason.startswith("coordonnées du pilote")]
    assert {u.line for u in contacts} >= {898, 1696, 1697, 2275}


# --- calendar --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "start", "latest", "end", "years"),
    [
        ("1.A", "1", None, "18", [1, 2]),
        ("1.B", "1", None, "18", [1, 2]),
        ("2.A", "6", "12", "24", [1, 2]),  # "6 à 12 mois": both in year 1
        ("3.A", "12", None, "24", [1, 2]),
        ("4", "6", None, "12", [1]),
        ("5", "18", None, "30", [2, 3]),
        ("6", "1", None, "24", [1, 2]),
    ],
)
def test_calendar_in_months_from_the_aci_signature(draft, number, start, latest, end, years):
    f = fiche(draft, number)
    for action in f.actions:
        assert action.extra["start_month"] == start
        assert action.extra.get("start_month_latest") == latest
        assert action.extra["end_month"] == end
        assert action.deadline_years == years
        assert action.extra["calendar"] == f.extra["calendar"] == action.deadline_as_written
        assert "après la signature des ACI" in action.extra["calendar"]


def test_contract_years_of_months():
    assert [month_year(m) for m in (1, 12, 13, 24, 25, 30)] == [1, 1, 2, 2, 3, 3]
    assert calendar_years((1, 1), (18, 18)) == [1, 2]
    assert calendar_years((6, 12), (24, 24)) == [1, 2]
    assert calendar_years((6, 18), (24, 24)) == []  # the start may be in year 1 or 2
    assert calendar_years(None, (24, 24)) == []
    assert calendar_years((30, 30), (12, 12)) == []


def test_planning_table_agrees_with_the_fiches(draft):
    planning = draft.extra["planning"]
    assert len(planning) == 13
    assert sorted(row["fiche"] for row in planning) == sorted(FICHE_NUMBERS)
    assert planning[-1]["fiche"] == "5" and planning[-2]["fiche"] == "6"
    assert not any("planification" in flag.message for f in draft.fiches for flag in f.flags)


def test_calendar_disagreeing_with_the_planning_table_is_flagged():
    text = source().replace(
        "Démarrage de l'action envisagée 18 mois après la signature des ACI",
        "Démarrage de l'action envisagée 16 mois après la signature des ACI",
    )
    f = fiche(parse(text, CPTS), "5")
    assert f.actions[0].extra["start_month"] == "16"
    assert any("planification du projet" in flag.message for flag in f.flags)


# --- plan extras: budget, members, governance, information system ------------------------


def test_budget_total_and_balance(draft):
    rows = draft.extra["budget"]
    assert [r["label"] for r in rows][:3] == [
        "Fonctionnement général",
        "Mission 1 A - Médecins traitant",
        "Mission 1 B - Soins non-programmés",
    ]
    assert [(r["mission"], r["fiche"]) for r in rows] == [
        (None, None),
        ("1", "1.A"),
        ("1", "1.B"),
        ("2", None),
        ("3", None),
        ("4", "4"),
        ("5", "5"),
        ("6", "6"),
    ]
    expenses = sum(r["expenses"] for r in rows)
    resources = sum(r["resources"] for r in rows)
    assert expenses == resources == 347_500
    assert draft.extra["budget_total"]["expenses"] == expenses
    assert draft.extra["budget_total"]["resources"] == resources
    assert all(r["expenses"] == r["resources"] for r in rows)
    assert draft.extra["budget_check"] == []
    assert rows[0]["detail"] == "Élaboration, coordination, communication du projet"


def test_unbalanced_budget_is_reported():
    text = source().replace("Mission 3 - Prévention 30 000€", "Mission 3 - Prévention 31 000€")
    checks = parse(text, CPTS).extra["budget_check"]
    messages = [c["message"] for c in checks]
    assert any("Mission 3 - Prévention" in m and "≠" in m for m in messages)
    assert any("Total des ressources indiqué (347500 €)" in m for m in messages)
    assert all(c["first_line"] for c in checks)


def test_members_by_profession_with_computed_shares(draft):
    members = draft.extra["members"]
    assert len(members) == 17
    total = sum(r["count"] for r in members)
    assert total == 85 == draft.extra["members_total"]["count"]
    assert sum(r["share"] for r in members) == pytest.approx(1, abs=1e-3)
    for row in members:
        assert row["share"] == round(row["count"] / 85, 4)
    gp = members[0]
    assert (gp["profession"], gp["count"], gp["territory"], gp["pending"]) == (
        "Médecins généralistes",
        7,
        37,
        12,
    )
    # Share of the members (computed), not the document's representativity (members/territory).
    assert gp["share"] == 0.0824 and gp["representativity_as_written"] == "19%"
    assert gp["coverage"] == 0.1892
    # The document's total "38%" counts the pending memberships: reported for review.
    (check,) = draft.extra["members_check"]
    assert "38%" in check["message"] and "adhésions en cours" in check["message"]


def test_governance_colleges_and_board(draft):
    colleges = draft.extra["governance"]
    assert [(c["number"], c["name"]) for c in colleges] == [
        ("1", "Professionnels de santé du 1er recours"),
        ("2", "Professionnels de santé du second recours"),
        ("3", "Partenaires"),
        ("4", "Élus, collectivités, associations, usagers"),
    ]
    assert colleges[3]["composition"] == (
        "Personnes morales qui contribuent à l'objet de l'association"
    )
    board = draft.extra["board"]
    assert len(board) == 12
    assert board[0]["status"] == "Présidente"


def test_information_system_needs(draft):
    needs = draft.extra["information_system"]
    assert needs[0] == (
        "SI pour la coordination et le pilotage du projet : plateforme téléphonique "
        "(outil disponible : non ; à développer : oui)"
    )
    rows = draft.extra["information_system_needs"]
    assert len(rows) == len(needs) == 3 + 6 + 7 + 4 + 4 + 4
    assert {r["scope"] for r in rows} >= {"Mission 1 Accès aux soins", "Mission 2 Parcours"}


def test_prs_pathways_are_linked_through_the_fiche_axes(draft):
    assert fiche(draft, "2.B").programmes == ["PRS Occitanie – Parcours vieillissement"]
    assert fiche(draft, "3.B").programmes == ["PRS Occitanie – Parcours vieillissement"]
    assert fiche(draft, "2.D").programmes == ["PRS Occitanie – Parcours Santé Mentale"]
    assert fiche(draft, "3.C").programmes == [
        "PRS Occitanie – Parcours santé des couples, des mères et des jeunes"
    ]
    assert fiche(draft, "1.A").programmes == []


def test_extra_is_json_serialisable(draft):
    json.dumps(draft.extra)
    for f in draft.fiches:
        assert all(isinstance(v, str) for v in f.extra.values())
        for a in f.actions:
            assert all(isinstance(v, str) for v in a.extra.values())


# --- markup and coverage -----------------------------------------------------------------


def test_clean_reads_through_markup():
    assert clean(r"par MG : $28 \times 4,5 \times 4 = 504$ cs") == "par MG : 28 × 4,5 × 4 = 504 cs"
    assert clean("le 1^{er} département") == "le 1er département"
    assert clean('<input checked="" type="checkbox"/> Taille 2') == "☒  Taille 2"
    assert clean("<p>Besoins :</p> <ul><li>a</li></ul>").split() == ["Besoins", ":", "a"]
    assert clean("- **Densité** et *Source INSEE*") == "- Densité et Source INSEE"
    assert clean("<https://www.ameli.fr/aude>") == "https://www.ameli.fr/aude"
    assert clean("MàJ* des informations") == "MàJ* des informations"


def test_no_markup_is_left_in_the_draft(draft):
    for text in draft_texts(draft)[: -len(draft.unplaced)]:
        assert not re.search(r"<[a-z/][^>]*>|\$|\^\{|\*\*", text), text


def test_nothing_is_silently_dropped(draft):
    """Every word of the document is in a field of the draft, in its extra data, or in the list
    of unplaced lines. Layout words (rubric labels, markup) are the only exception."""
    source_words = words(clean(source()))
    kept_words = words("\n".join(draft_texts(draft)))
    layout = set(
        fold(
            "Libellé Libelle de l action Mission socle complémentaire concernée Pilote Membres du "
            "groupe travail Acteurs concernés Problématiques constatées Objectif général Public "
            "cible Objectifs opérationnels Sous actions envisagées à mettre en œuvre Actions "
            "Planning prévisionnel mise Indicateurs retenus sélectionnés Estimation des moyens "
            "nécessaires budget nécessaire au déploiement Budget global la CPTS Dépenses "
            "Ressources Intitulé Réalisation Date démarrage fin Signature Nom et Prénom Glossaire "
            "Annexe Profession Nb professionnels territoire membres En cours adhésion "
            "Représentativité TOTAL Statut Lieux exercice Besoins Caractéristiques Outil s déjà "
            "disponible Oui Non à développer Fiche prévisionnelle Indicateur suivi"
        ).split()
    )
    assert source_words - kept_words - layout == set()


def words(text: str) -> set[str]:
    """Folded words, thousands groups joined ("347 500" and 347500 are the same figure)."""
    joined = re.sub(r"(?<=\d)[ \u202f\u00a0](?=\d{3}\b)", "", text)
    return set(re.findall(r"\w+", fold(joined)))


def test_unplaced_lines_have_a_reason(draft):
    """The parser lists any line it did not use as "ligne hors des parties reconnues": its
    absence here means every other non-blank line went into a field or an extra."""
    reasons = {u.reason for u in draft.unplaced}
    assert reasons == {
        "sommaire",
        "légende d'une figure absente du texte converti",
        "coordonnées du pilote (adresse électronique et postale), non importées",
        "description d'une image (signature manuscrite)",
    }
    assert [u.line for u in draft.unplaced] == sorted(u.line for u in draft.unplaced)
    lines = source().split("\n")
    for u in draft.unplaced:
        assert lines[u.line - 1].strip() == u.text


def test_parsing_is_deterministic():
    assert parse(source(), "a.txt") == parse(source(), "a.txt")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_damaged_documents_fail_cleanly(data):
    """Cut, shuffled or partial copies of the document parse or raise a French ParseError."""
    lines = source().split("\n")
    start = data.draw(st.integers(0, len(lines) - 1))
    end = data.draw(st.integers(start, len(lines)))
    picked = lines[start:end]
    if data.draw(st.booleans()):
        picked = data.draw(st.permutations(picked)) if len(picked) < 400 else picked[::-1]
    try:
        result = parse("\n".join(picked), "abime.txt")
    except ParseError as error:
        assert "abime.txt" in str(error)
    else:
        assert result.fiches
        json.dumps(result.extra)
