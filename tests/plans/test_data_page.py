"""The « Données du plan » page through the test client: data of each kind of plan, in French."""

from __future__ import annotations

import re

import pytest

from pilotis.plans.models import Plan, Territory
from tests.factories import PlanFactory, TerritoryFactory, create_plan

pytestmark = pytest.mark.django_db

NNBSP = "\u202f"  # thousands separator
NBSP = "\u00a0"  # before a unit sign
SIZES = [2, 12]


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def text(response) -> str:
    """The page's visible text, tags removed and whitespace squashed (no-break spaces kept)."""
    page = re.sub(r"<[^>]+>", " ", html(response)).replace("&#x27;", "'")
    return re.sub(r"[ \t\r\n]+", " ", page)


def url(plan) -> str:
    return f"/plans/{plan.slug}/donnees/"


def check(message: str, line: int) -> dict:
    return {"field": "x", "message": message, "first_line": line, "last_line": line}


def cpts_extra(n_rows: int = 8) -> dict:
    """Plan extra shaped like the CPTS parser's output (see importers/cpts.py)."""
    budget = [
        {
            "mission": None,
            "fiche": None,
            "label": "Fonctionnement général",
            "detail": "Élaboration, coordination, communication du projet",
            "expenses": 60000,
            "resources": 60000,
        },
        *(
            {
                "mission": str(i),
                "fiche": f"{i}.A",
                "label": f"Mission {i} A",
                "detail": "Moyens et résultats",
                "expenses": 50000,
                "resources": 45000 if i == 1 else 50000,
            }
            for i in range(1, n_rows)
        ),
    ]
    expenses = sum(row["expenses"] for row in budget)
    return {
        "perimeter_total": {"stated": 60371, "computed": 60371},
        "perimeter_check": [],
        "budget": budget,
        "budget_total": {
            "expenses": expenses,
            "resources": expenses,
            "note": "Point de vigilance : Dépenses = Ressources",
        },
        "budget_check": [check("Ressources de la mission 1 inférieures aux dépenses.", 2600)],
        "members": [
            {
                "profession": "Médecins généralistes",
                "count": 7,
                "territory": 37,
                "pending": 12,
                "representativity_as_written": "19%",
                "share": 0.0824,
                "coverage": 0.1892,
            },
            {
                "profession": "Infirmiers",
                "count": 78,
                "territory": 497,
                "pending": 107,
                "representativity_as_written": "16%",
                "share": 0.9176,
                "coverage": 0.1569,
            },
            *(
                {
                    "profession": f"Profession {i}",
                    "count": 0,
                    "territory": None,
                    "pending": None,
                    "representativity_as_written": "-",
                    "share": 0.0,
                    "coverage": None,
                }
                for i in range(n_rows - 2)
            ),
        ],
        "members_total": {
            "count": 85,
            "territory": 534,
            "pending": 119,
            "representativity_as_written": "38%",
        },
        "members_check": [check("Représentativité totale indiquée (38%) différente.", 2514)],
        "governance": [
            {
                "number": "1",
                "name": "Professionnels de santé du 1er recours",
                "composition": "Personnes physiques",
            },
            {
                "number": "4",
                "name": "Élus, collectivités, associations, usagers",
                "composition": "",
            },
        ],
    }


def cpts_plan(n_communes: int = 2, n_rows: int = 8) -> Plan:
    perimeter = TerritoryFactory(level=Territory.Level.PERIMETER, code="", name="CPTS de Test")
    plan = PlanFactory(kind=Plan.Kind.CPTS, perimeter=perimeter, extra=cpts_extra(n_rows))
    communes = [
        TerritoryFactory(
            level=Territory.Level.COMMUNE, code="11069", name="Carcassonne", population=46513
        ),
        TerritoryFactory(
            level=Territory.Level.COMMUNE, code="11005", name="Alairac", population=1320
        ),
        *(
            TerritoryFactory(
                level=Territory.Level.COMMUNE,
                code=f"11{i:03d}",
                name=f"Village {i:02d}",
                population=100,
            )
            for i in range(n_communes - 2)
        ),
    ]
    perimeter.communes.add(*communes)
    return plan


def prs_extra() -> dict:
    """Plan extra shaped like the PRS scheme parser's output (see importers/prs.py)."""
    source = "Data repère du schéma territorial de santé (sources citées : INSEE)"

    def figure(key, label, value, unit, occitanie=None, france=None, **more):
        return {
            "key": key,
            "label": label,
            "value": value,
            "unit": unit,
            "territory": "Ariège",
            "comparators": {"Occitanie": occitanie, "France": france},
            "source": source,
            "as_written": f"{label} : {value}",
            "span": [170, 171],
            **more,
        }

    def row(label, *values):
        return {"label": label, "values": list(values), "span": [6410, 6410]}

    return {
        "key_figures": [
            figure("population", "Population", 150000, "habitants"),
            figure("population_65_plus", "Part des 65 ans et plus", 26, "%", 22),
            figure(
                "population_65_plus_2050", "Part des 65 ans et plus en 2050", 37, "%", year=2050
            ),
            figure("life_expectancy", "Espérance de vie", 82.0, "ans", 82.9),
            figure("poverty_rate", "Taux de pauvreté", 18, "%", 17, 15),
            {
                **figure("gp_visits", "Consultations de médecin généraliste", 3.73, "par an"),
                "source": "Accessibilité potentielle localisée (APL)",
            },
        ],
        "data_repere": {
            "title": "L’essentiel sur la santé en ARIÈGE",
            "text": "…",
            "sources": [{"name": "INSEE", "url": "https://www.insee.fr/"}],
            "sources_note": "Sources et définitions : voir document en Annexe",
            "span": [170, 700],
        },
        "challenges": [
            {"text": "Le développement de l’aller-vers", "span": [758, 758]},
            {"text": "Le déploiement des CPTS sur tout le département", "span": [760, 764]},
        ],
        "cnr_proposals": [
            {"theme": "La prévention", "text": "Développer le mammobile", "span": [956, 960]},
            {"theme": "L’accès aux soins", "text": "Libérer du temps médical", "span": [990, 991]},
            {"theme": "La prévention", "text": "Repérer précocement", "span": [962, 964]},
        ],
        "care_supply_targets": [
            {
                "activity": "Médecine d’Urgence",
                "tables": [
                    {
                        "title": "Objectifs quantitatifs de l’offre de soins",
                        "columns": "Zone d’implantation Modalités/mentions Existant Cibles",
                        "zone": "09",
                        "rows": [
                            row("Structure des urgences", "3", "3"),
                            row("Antenne SMUR", "0", "0/1"),
                            row("Pédiatrie"),
                        ],
                        "span": [6400, 6420],
                    }
                ],
                "notes": [
                    {
                        "heading": "Recours et expertises supra-territoriales",
                        "text": "",
                        "span": None,
                    },
                    {
                        "heading": "Transformations – regroupements – coopérations",
                        "text": "Déployer le SAS.\n\nRenforcer la régulation.",
                        "span": [6439, 6444],
                    },
                ],
                "span": [6398, 6444],
            }
        ],
    }


# --- CPTS project -------------------------------------------------------------------------------


def test_cpts_perimeter_lists_communes_with_populations_and_totals(client):
    page = text(client.get(url(cpts_plan())))
    assert "Périmètre et population" in page
    assert f"Alairac 11005 1{NNBSP}320" in page
    assert f"Carcassonne 11069 46{NNBSP}513" in page
    assert page.index("Alairac") < page.index("Carcassonne")  # in name order
    assert f"Total (somme des communes) 47{NNBSP}833" in page
    assert f"60{NNBSP}371 habitants selon le document ; 47{NNBSP}833 en additionnant" in page
    assert "diffère de la somme des populations des communes" in page


def test_cpts_budget_table_has_totals_balances_and_checks(client):
    page = html(client.get(url(cpts_plan())))
    txt = text(client.get(url(cpts_plan(n_rows=3))))
    assert "<caption>Budget prévisionnel par mission, en euros</caption>" in page
    assert '<th scope="col" class="pilotis-number">Dépenses</th>' in page
    # 60 000 + 2 × 50 000 of expenses; mission 1 brings 5 000 € less than it spends.
    assert f"Mission 1 A Moyens et résultats 1.A 50{NNBSP}000{NBSP}€ 45{NNBSP}000{NBSP}€" in txt
    assert f"{NBSP}€ \u22125{NNBSP}000{NBSP}€" in txt
    assert f"Total 160{NNBSP}000{NBSP}€ 155{NNBSP}000{NBSP}€ \u22125{NNBSP}000{NBSP}€" in txt
    assert f"Total indiqué par le document : 160{NNBSP}000{NBSP}€ de dépenses" in txt
    assert "Il diffère de la somme des lignes." in txt
    assert "Ressources de la mission 1 inférieures aux dépenses. (ligne 2600)" in txt
    assert "fr-alert--warning" in page


def test_cpts_members_show_computed_shares_in_french(client):
    page = text(client.get(url(cpts_plan())))
    assert "Membres par profession" in page
    # 7 of 85 members; 7 of the 37 general practitioners of the territory; 19% as written.
    assert f"Médecins généralistes 7 8,2{NBSP}% 37 12 18,9{NBSP}% 19%" in page
    assert f"Infirmiers 78 91,8{NBSP}% 497 107 15,7{NBSP}% 16%" in page
    assert f"Total 85 100,0{NBSP}% 534 119 15,9{NBSP}% 38%" in page
    assert "Représentativité totale indiquée (38%) différente. (ligne 2514)" in page
    assert "Le document indique" not in page  # the stated total agrees with the counts


def test_cpts_governance_colleges(client):
    page = text(client.get(url(cpts_plan())))
    assert "Gouvernance : les collèges" in page
    assert "1 Professionnels de santé du 1er recours Personnes physiques" in page
    assert "4 Élus, collectivités, associations, usagers" in page


def test_tables_have_captions_and_scoped_headers(client):
    page = html(client.get(url(cpts_plan())))
    tables = re.findall(r"<table>(.*?)</table>", page, re.S)
    assert len(tables) == 4  # communes, budget, members, colleges
    for table in tables:
        assert "<caption>" in table
        assert '<th scope="col"' in table and '<th scope="row"' in table
    assert 'href="#donnees-budget"' in page and 'id="donnees-budget"' in page  # summary


# --- PRS scheme ---------------------------------------------------------------------------------


def test_prs_key_figures_table_in_french(client):
    plan = PlanFactory(kind=Plan.Kind.PRS_SCHEME, extra=prs_extra())
    page = html(client.get(url(plan)))
    txt = text(client.get(url(plan)))
    assert "<caption>Chiffres-clés — Ariège, comparés à Occitanie et à la France</caption>" in page
    headers = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', page)
    assert headers[:5] == ["Indicateur", "Ariège", "Occitanie", "France", "Année"]
    assert f"Population écrit « Population : 150000 » 150{NNBSP}000{NBSP}habitants" in txt
    assert (
        f"Part des 65 ans et plus écrit « Part des 65 ans et plus : 26 » 26{NBSP}% 22{NBSP}%" in txt
    )
    assert f"37{NBSP}% — non indiqué — non indiqué 2050" in txt  # a year is no number: no space
    assert f"82{NBSP}ans 82,9{NBSP}ans" in txt
    assert f"18{NBSP}% 17{NBSP}% 15{NBSP}%" in txt
    # One source for most figures, said once; the other figure names its own.
    assert "source : Accessibilité potentielle localisée (APL)" in txt
    assert "Source des chiffres sans autre mention : Data repère" in txt
    assert txt.count("sources citées : INSEE") == 1
    assert '<a href="https://www.insee.fr/" rel="noopener">INSEE</a>' in page


def test_prs_challenges_proposals_and_care_supply(client):
    plan = PlanFactory(kind=Plan.Kind.PRS_SCHEME, extra=prs_extra())
    page = html(client.get(url(plan)))
    txt = text(client.get(url(plan)))
    assert "Défis identifiés par le conseil territorial de santé (CTS)" in txt
    assert "<li>Le développement de l’aller-vers</li>" in page
    # Proposals grouped by theme, themes in the order of the document.
    prevention = re.search(r"La prévention</h3>\s*<ul>(.*?)</ul>", page, re.S).group(1)
    assert "Développer le mammobile" in prevention and "Repérer précocement" in prevention
    assert txt.index("La prévention") < txt.index("L’accès aux soins")
    # Care-supply tables as the parser gives them, value headings read from the header line.
    assert (
        "<caption>Médecine d’Urgence — Objectifs quantitatifs de l’offre de soins "
        "(zone d’implantation 09)</caption>"
    ) in page
    assert "Modalités/mentions Existant Cibles" in txt
    assert "Structure des urgences 3 3" in txt and "Antenne SMUR 0 0/1" in txt
    assert "Recours et expertises supra-territoriales" not in txt  # an empty note is left out
    assert "<p>Déployer le SAS.</p><p>Renforcer la régulation.</p>" in page


# --- Carcassonne CLS, plans without data, links -------------------------------------------------


def test_cls_lists_the_prs_engagements_it_serves(client):
    engagements = [
        {"number": 1, "title": "Dynamiser la prévention", "first_line": 267, "last_line": 268},
        {"number": 3, "title": "Renforcer l’accès aux soins", "first_line": 272, "last_line": 272},
    ]
    plan = create_plan(2, extra={"prs_engagements": engagements})
    page = text(client.get(url(plan)))
    assert "Engagements du projet régional de santé que le contrat sert" in page
    assert "Engagement 1 — Dynamiser la prévention" in page
    assert "Engagement 3 — Renforcer l’accès aux soins" in page
    assert "Sommaire" not in page  # one part: no summary


def test_plan_without_data_says_so(client):
    plan = create_plan(2)
    page = text(client.get(url(plan)))
    assert "Ce plan ne contient pas d’autres données que ses sections et ses fiches." in page
    assert "<table>" not in html(client.get(url(plan)))


def test_overview_links_to_the_data_page(client):
    plan = create_plan(2)
    page = html(client.get(plan.get_absolute_url()))
    assert f'href="/plans/{plan.slug}/donnees/">Données du plan</a>' in page


def test_breadcrumb_and_title(client):
    plan = cpts_plan()
    page = html(client.get(url(plan)))
    assert re.search(rf"<title>\s*Données du plan — {re.escape(plan.title)}", page)
    assert f'href="/plans/{plan.slug}/"' in page


def test_unknown_plan_is_404(client):
    assert client.get("/plans/inconnu/donnees/").status_code == 404


@pytest.mark.parametrize("n", SIZES)
def test_query_count_is_constant(client, django_assert_num_queries, n):
    plan = cpts_plan(n_communes=n, n_rows=n)
    with django_assert_num_queries(2):  # plan with its perimeter, the perimeter's communes
        client.get(url(plan))
    scheme = PlanFactory(kind=Plan.Kind.PRS_SCHEME, perimeter=None, extra=prs_extra())
    with django_assert_num_queries(1):  # no perimeter: the plan only
        client.get(url(scheme))
