"""The PRS territorial scheme parser, checked on the Ariège scheme (a pure test: no database)."""

import re
from functools import cache

import pytest

from pilotis.core.text import fold
from pilotis.importers.persist import check_draft
from pilotis.importers.prs import looks_like, parse
from pilotis.plans.draft import ParseError
from tests.seeds import BROCHURE, CARCASSONNE, PRS_ARIEGE, seed_bytes

OTHER_SEEDS = [CARCASSONNE, BROCHURE, "002_e9dc27bbeb4aba5b.txt", "004_954aabb6f103aed8.txt"]


@cache
def text() -> str:
    return seed_bytes(PRS_ARIEGE).decode("utf-8")


@pytest.fixture(scope="module")
def draft():
    return parse(text(), PRS_ARIEGE)


def fiche(draft, number):
    (found,) = [f for f in draft.fiches if f.number == number]
    return found


def source_lines(first, last):
    return text().split("\n")[first - 1 : last]


def test_looks_like_this_scheme_only():
    assert looks_like(text())
    for name in OTHER_SEEDS:
        assert not looks_like(seed_bytes(name).decode("utf-8")), name


def test_plan_header(draft):
    assert draft.kind == "prs_scheme"
    assert draft.title == (
        "Projet régional de santé Occitanie 2023-2028 — Schéma territorial de santé de l'Ariège"
    )
    assert draft.slug == "prs-occitanie-2023-2028-ariege"
    assert (draft.start_year, draft.duration_years) == (2023, 6)
    assert (draft.territory_name, draft.territory_level, draft.territory_code) == (
        "Ariège",
        "department",
        "09",
    )
    assert draft.levels == ["Engagement", "Défi"]
    assert draft.extra["published"] == "Juillet 2023"


def test_counts(draft):
    engagements = [s for s in draft.sections if s.level == 0]
    defis = [s for s in draft.sections if s.level == 1]
    assert [e.key for e in engagements] == ["E1", "E2", "E3", "E4", "E5", "E6"]
    assert [d.key for d in defis] == [
        "E1.D3",
        "E1.D4",
        "E2.D1",
        "E2.D2",
        "E2.D3",
        "E3.D1",
        "E3.D2",
        "E4.D2",
        "E4.D4",
        "E5.D1",
        "E5.D2",
        "E5.D4",
        "E6.D2",
        "E6.D4",
    ]
    assert all(d.parent_key == d.key.split(".")[0] for d in defis)
    assert len(draft.fiches) == 26
    assert {f.section_key for f in draft.fiches} == {d.key for d in defis}


def test_regional_numbers_are_kept(draft):
    in_defi = [f for f in draft.fiches if f.section_key == "E3.D2"]
    assert [f.extra["regional_number"] for f in in_defi] == ["2", "3", "4"]
    assert [f.number for f in in_defi] == ["3.2.2", "3.2.3", "3.2.4"]
    numbers = [f.number for f in draft.fiches]
    assert len(set(numbers)) == len(numbers)
    for f in draft.fiches:
        engagement, defi, regional = f.number.split(".")
        assert f.section_key == f"E{engagement}.D{defi}"
        assert regional == f.extra["regional_number"]
    assert [f.number for f in draft.fiches][:4] == ["1.3.4", "1.3.7", "1.4.2", "1.4.7"]
    defi = next(s for s in draft.sections if s.key == "E3.D2")
    assert defi.number == "3.2"
    assert defi.title == (
        "Développer et structurer une offre de soins non programmés alternative des urgences"
    )


def test_objective_1_3_4_reads_like_the_paper(draft):
    f = fiche(draft, "1.3.4")
    assert f.title == (
        "Adapter les modalités de repérage, d’écoute, d’orientation et d’accompagnement pour les "
        "rendre plus cohérentes, plus efficientes et mieux coordonnées"
    )
    assert f.section_key == "E1.D3"
    assert (f.span.first_line, f.span.last_line) == (1257, 1377)
    assert f.extra["regional_number"] == "4"
    assert f.extra["challenge"] == (
        "Adopter la stratégie de prévention et promotion de la santé aux besoins des publics "
        "prioritaires dont les publics vulnérables."
    )
    assert f.extra["themes"] == "Prévention, promotion de la santé\nPRAPS"
    assert f.extra["pathways"] == "Parents et enfants vulnérables\nSanté mentale"
    assert f.extra["key_figures"] == "82 ans Espérance de vie à la naissance"
    assert f.extra["citizen_voice"] == (
        "« Beaucoup d’acronymes, mal connus – il faut un référent pour permettre de diffuser la "
        "connaissance. On est livrés à nous-mêmes »"
    )
    findings = f.extra["findings"].split("\n\n")
    assert findings[0] == (
        "Cloisonnement trop présent sur le département par un manque de coordination et de mise "
        "en cohérence des politiques de prévention."
    )
    assert findings[1] == "Trop de messages de prévention véhiculés mais peu efficaces."
    # A line that stops short ends its paragraph even without a full stop.
    assert findings[3] == "Triple enjeu : visibilité, coordination et continuité"
    assert f.extra["findings"].endswith("Pérennisation des actions déjà engagées")
    objective = f.strategic_objective.split("\n\n")
    assert objective[0] == (
        "Adapter les modalités de repérage, d'écoute, d’orientation, d’accompagnement, pour les "
        "rendre plus cohérentes, plus efficientes et mieux coordonnées :"
    )
    assert (
        objective[1] == "• Décloisonner les actions en favorisant le travail inter professionnel."
    )
    assert objective[-1] == "Tendre vers une logique du préventif et non du curatif."
    expected = f.extra["expected_results"].split("\n\n")
    assert expected[0] == (
        "Meilleure coordination et articulation des actions de prévention / promotion de la "
        "santé sur le territoire."
    )
    assert expected[-1] == "Favoriser la communication et renforcer l’interconnaissance."
    assert f.extra["in_practice"].endswith(
        "Organisation de « journée de prévention » sur certains territoires ruraux par les CLS "
        "(Pays de Tarascon)."
    )
    # The document's "Adopter" for the défi's "Adapter" is reported, not corrected.
    assert [flag.field for flag in f.flags] == ["extra"]
    assert "défi #3" in f.flags[0].message
    assert (f.flags[0].span.first_line, f.flags[0].span.last_line) == (1269, 1271)


def test_objective_3_2_2_reads_like_the_paper(draft):
    f = fiche(draft, "3.2.2")
    assert f.title == "Organiser l'offre de transport dans le cadre des soins non programmés"
    assert (f.span.first_line, f.span.last_line) == (3409, 3487)
    assert f.extra["challenge"] == (
        "Développer et structurer une offre de soins non programmée alternative des urgences."
    )
    assert f.extra["themes"].split("\n") == [
        "Soins primaires",
        "Urgences et soins non programmés",
        "Transformation numérique",
        "Personne, citoyen, usager",
    ]
    assert f.extra["pathways"].split("\n") == ["Santé mentale", "Vieillissement"]
    assert "key_figures" not in f.extra and "citizen_voice" not in f.extra
    findings = f.extra["findings"].split("\n\n")
    assert findings[0].startswith("Les urgences et la maison médicale de Patau sont saturées")
    assert findings[3:6] == [
        "• Le vieillissement de la population ;",
        "• L’augmentation des poly pathologies et des maladies chroniques ;",
        "• L’aspiration à l’immédiateté d’une consultation médicale.",
    ]
    assert findings[-1] == (
        "Prise en charge des transports vers les opérateurs de la PDSA mais pas les retours à "
        "domicile."
    )
    assert f.strategic_objective.startswith(
        "Organiser l’offre de transport dans le cadre des Soins non programmés afin d’éviter"
    )
    assert f.strategic_objective.endswith("la recherche de transports pour le retour à domicile.")
    assert f.extra["expected_results"] == (
        "Mettre en place un système efficient de régulation de la population générale vers une "
        "offre de soins non programmés en intégrant la problématique du transport vers la "
        "consultation non programmée.\n\n"
        "Mettre en place le transport adapté pour le retour à domicile."
    )
    practice = f.extra["in_practice"].split("\n\n")
    assert len(practice) == 4
    assert (
        practice[0]
        == "Planification par secteur de l’offre mobilisable pour les transports des patients."
    )


def test_sixth_engagement_title_comes_from_the_regional_list(draft):
    e6 = next(s for s in draft.sections if s.key == "E6")
    assert e6.title == "Soutenir l’attractivité des métiers de la santé"
    assert draft.extra["section_details"]["E6"]["title_from"] == "regional_list"
    notes = [n for n in draft.extra["notes"] if n.get("section") == "E6"]
    assert len(notes) == 1
    assert "liste des engagements du projet régional de santé" in notes[0]["message"]
    assert notes[0]["span"] == [5626, 5626]
    # The five other titles are read from their title pages.
    engagements = [s for s in draft.sections if s.level == 0][:5]
    assert engagements[0].title == (
        "Dynamiser et adapter la prévention et la promotion de la santé aux âges clés et aux "
        "milieux de vie"
    )
    assert engagements[2].title == (
        "Renforcer l’accès pour tous à une prise en charge adaptée aux besoins de santé sur "
        "l’ensemble des territoires"
    )
    assert all(
        draft.extra["section_details"][e.key]["title_from"] == "document" for e in engagements
    )


def test_defi_pages_are_kept(draft):
    details = draft.extra["section_details"]
    e1d4 = details["E1.D4"]
    assert e1d4["page"] == 12
    assert e1d4["keywords"] == ["Addictions", "Innovations en santé"]
    assert e1d4["stakes"].startswith("Les inégalités sociales et territoriales de santé")
    assert e1d4["objectives_listed"][1] == (
        "Dépister demain plus de personnes en déployant un dépistage de précision et en intégrant "
        "mieux les innovations technologiques"
    )
    assert details["E2.D3"]["regional_objective"].startswith("Créer, en mobilisant les patients")
    assert len(details["E2.D2"]["citizen_voice"]) == 2


def test_key_figures_with_comparators(draft):
    figures = {f["key"]: f for f in draft.extra["key_figures"]}
    poverty = figures["poverty_rate"]
    assert (poverty["value"], poverty["unit"]) == (18, "%")
    assert poverty["comparators"] == {"Occitanie": 17, "France": 15}
    assert poverty["span"] == [241, 249]
    life = figures["life_expectancy"]
    assert (life["value"], life["unit"], life["comparators"]) == (
        82.0,
        "ans",
        {"Occitanie": 82.9, "France": None},
    )
    consultations = figures["gp_consultations_per_inhabitant"]
    assert (consultations["value"], consultations["comparators"]["Occitanie"]) == (3.73, 3.87)
    assert consultations["source"] == "Accessibilité potentielle localisée (APL)"
    assert consultations["span"] == [440, 449]
    assert figures["graduates_bac_plus_2"]["comparators"] == {"Occitanie": 31, "France": 31}
    assert figures["population"]["value"] == 150000
    assert figures["population_growth_rate"]["value"] == 0.05
    assert figures["disability_places"]["value"] == 1006
    assert figures["population_65_plus_2050"]["year"] == 2050
    for figure in figures.values():
        assert figure["territory"] == "Ariège"
        assert set(figure["comparators"]) == {"Occitanie", "France"}
        first, last = figure["span"]
        assert 164 <= first <= last <= 664
        assert figure["source"]
    sources = draft.extra["data_repere"]["sources"]
    assert sources[0] == {
        "name": "INSEE",
        "url": "https://www.insee.fr/fr/statistiques/fichier/6689375/lm_ind_17_dossier_global.pdf",
    }
    # Every figure of the catalogue is in this document.
    assert not [n for n in draft.extra["notes"] if "Data repère" in n["message"]]


def test_challenges_and_proposals(draft):
    challenges = draft.extra["challenges"]
    assert len(challenges) == 23
    assert challenges[0] == {"text": "Le développement de l’aller-vers", "span": [758, 758]}
    assert challenges[-1]["text"] == (
        "Le déploiement des offres de répit pour les aidants du secteur « personnes âgées » et du "
        "secteur « personnes vivant avec un handicap »"
    )
    proposals = draft.extra["cnr_proposals"]
    assert [p["theme"] for p in proposals][:1] == ["La prévention"]
    assert {p["theme"] for p in proposals} == {
        "La prévention",
        "Continuité et permanence des soins",
        "Attractivité et fidélisation des métiers",
        "L’accès aux soins",
    }


def test_care_supply_targets(draft):
    activities = {a["activity"]: a for a in draft.extra["care_supply_targets"]}
    assert len(activities) == 17
    emergency = activities["Médecine d’Urgence"]
    rows = {r["label"]: r["values"] for r in emergency["tables"][0]["rows"]}
    assert rows["Antenne SMUR"] == ["0", "1"]
    assert rows["Service d'Aide Médicale Urgente (SAMU)"] == ["1", "1"]
    assert emergency["tables"][0]["zone"] == "09"
    assert emergency["notes"][0]["heading"] == "Note"
    kidney = activities["Insuffisance Rénale Chronique"]["tables"][0]["rows"]
    assert kidney[-1] == {
        "label": "Dialyse à domicile par hémodialyse et/ou dialyse péritonéale",
        "values": ["1", "2"],
        "span": [7255, 7258],
    }
    cancer = [r for t in activities["Traitement du cancer"]["tables"] for r in t["rows"]]
    # A wrapped label whose first line ends with a number keeps it ("moins de 18 / ans").
    assert any(
        r["label"].startswith("C - TMSC chez l'Enfant et l’adolescent de moins de 18 ans")
        for r in cancer
    )
    radiology = activities["Radiologie Interventionnelle"]["tables"][0]["rows"]
    assert [(r["label"], r["values"]) for r in radiology][:2] == [("A*", ["1/2"]), ("B*", ["0/1"])]


def test_nothing_is_silently_dropped(draft):
    """Every word of the document is in the draft (fields, sections, extra) or in unplaced lines.

    Rubric labels and the letter-spaced page footer are the only exception.
    """
    source_words = set(re.findall(r"\w+", fold(text())))
    kept = [s.title + " " + s.number for s in draft.sections]
    for f in draft.fiches:
        kept += [f.number, f.title, f.strategic_objective, *f.extra.values()]
    kept += [u.text for u in draft.unplaced]
    kept.append(draft.title)
    kept += strings(draft.extra)
    kept_words = set(re.findall(r"\w+", fold(" ".join(kept))))
    layout = set(
        fold(
            "DATA REPÈRE Objectif Opérationnel DÉFI Le défi à relever Thèmes associés Parcours "
            "associés Mots clés Chiffres-clés Parole de citoyen Les constats L’objectif Les "
            "résultats attendus En pratique Les enjeux Les objectifs opérationnels Objectif "
            "régional de rattachement Pour en savoir ÉVOLUTION de l’offre en regard des besoins "
            "Objectifs quantitatifs de soins ACTIVITÉ DE SOINS FILIÈRE Recours et expertises "
            "supra-territoriales Transformations regroupements coopérations "
            # The page footer, letter-spaced ("P R O J E T  R ÉG I O N A L…"), gave the title.
            "P R O J E T ÉG I O N A L D S C H MA ER RI AL AN NI G 75"
        ).split()
    )
    assert source_words - kept_words - layout == set()


RUBRICS = {
    fold(label)
    for label in [
        "Objectif",
        "Opérationnel",
        "Le défi à relever",
        "Thèmes associés",
        "Parcours associés",
        "Mots clés",
        "Chiffres-clés",
        "Chiffres clés",
        "Parole de citoyen",
        "Les constats",
        "L’objectif",
        "Les résultats attendus",
        "En pratique",
        "Les enjeux",
        "Les objectifs opérationnels",
        "Objectif régional de rattachement :",
    ]
}


def words(*texts):
    return set(re.findall(r"\w+", fold(" ".join(texts))))


def test_every_line_of_an_objective_or_defi_page_is_in_it(draft):
    """Line by line: each line of a page is in a field of its own fiche or défi, or unplaced."""
    unplaced = {u.line for u in draft.unplaced}
    lines = text().split("\n")

    def check(first, last, kept, where):
        previous = ""
        for n in range(first, last + 1):
            line = lines[n - 1].strip()
            if not line or n in unplaced or fold(line) in RUBRICS or re.fullmatch(r"#\d+", line):
                previous = line or previous
                continue
            # Words cut by a hyphen at a line end may be glued back ("médico-" + "social").
            own = re.findall(r"\w+", fold(line))
            if line.endswith("-"):
                own = own[:-1]
            if previous.endswith("-"):
                own = own[1:]
            assert set(own) <= kept, (where, n, line)
            previous = line

    for f in draft.fiches:
        kept = words(f.title, f.strategic_objective, *f.extra.values())
        check(f.span.first_line, f.span.last_line, kept, f.number)
    details = draft.extra["section_details"]
    for section in [s for s in draft.sections if s.level == 1]:
        first_objective = min(
            f.span.first_line for f in draft.fiches if f.section_key == section.key
        )
        kept = words(section.title, *strings(details[section.key]), "DÉFI")
        check(section.span.first_line, first_objective - 1, kept, section.key)


def strings(value):
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [str(value)]
    return []


def test_every_line_of_the_objectives_part_is_accounted_for(draft):
    first, last = draft.fiche_part
    assert (first, last) == (1096, 6377)
    unplaced = {u.line: u for u in draft.unplaced}
    lines = source_lines(1, len(text().split("\n")))
    for u in unplaced.values():
        assert u.text == lines[u.line - 1].strip()
    reasons = {u.reason for u in draft.unplaced}
    assert reasons <= {
        "intertitre de la description des besoins, sans contenu dans le texte",
        "code de département de la carte de l'Occitanie",
        "adresse web répétée en note de bas de page",
        "adresse web en note de bas de page",
    }
    # The map of Occitanie leaves its 13 department codes on three défi pages.
    assert sum(u.reason.startswith("code de département") for u in draft.unplaced) == 39


def test_flags(draft):
    flagged = {f.number: [flag.message for flag in f.flags] for f in draft.fiches if f.flags}
    missing_practice = sorted(
        number for number, messages in flagged.items() if any("En pratique" in m for m in messages)
    )
    assert missing_practice == ["2.1.3", "2.1.6", "3.2.4", "6.2.1"]
    wording = sorted(
        number for number, messages in flagged.items() if any("mot pour mot" in m for m in messages)
    )
    assert wording == ["1.3.4", "1.3.7", "3.2.2", "3.2.3", "3.2.4"]


def test_draft_is_storable(draft):
    assert check_draft(draft) == []


def test_text_is_whitespace_normalised(draft):
    for f in draft.fiches:
        assert f.title == f.title.strip() and "  " not in f.title and "\n" not in f.title
        for value in [f.strategic_objective, *f.extra.values()]:
            assert "  " not in value
            assert all(p == p.strip() and p for p in re.split(r"\n\n?", value))


def test_parsing_is_deterministic():
    assert parse(text(), "a.txt") == parse(text(), "a.txt")


def test_a_text_without_objectives_is_refused():
    with pytest.raises(ParseError, match="schéma territorial de santé"):
        parse("DÉFI #1  Un défi\n\nLes enjeux\nDu texte.\n", "vide.txt")


def test_any_missing_title_page_is_supplied_from_the_regional_list():
    lines = text().split("\n")
    # Without the third engagement's title page (its title and its table of défis).
    cut = "\n".join(lines[: 2719 - 1] + [""] * (2737 - 2719 + 1) + lines[2737:])
    draft = parse(cut, PRS_ARIEGE)
    assert [s.key for s in draft.sections if s.level == 0] == ["E1", "E2", "E3", "E4", "E5", "E6"]
    e3 = next(s for s in draft.sections if s.key == "E3")
    assert e3.title.startswith("Renforcer l’accès pour tous")
    assert draft.extra["section_details"]["E3"]["title_from"] == "regional_list"
    assert len(draft.fiches) == 26


@pytest.mark.parametrize("cut", [0.1, 0.2, 0.3, 0.45, 0.6, 0.75, 0.8, 0.9])
def test_a_truncated_document_parses_or_is_refused(cut):
    lines = text().split("\n")
    part = "\n".join(lines[: int(len(lines) * cut)])
    try:
        draft = parse(part, "partie.txt")
    except ParseError:
        return
    assert check_draft(draft) == []
