"""Plan pages through the test client: content, constant query counts, import permissions."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from pilotis.importers import registry
from pilotis.plans import perms
from pilotis.plans.draft import ParseError
from pilotis.plans.export import plan_to_json
from pilotis.plans.models import Fiche, Plan
from tests.factories import (
    PASSWORD,
    ActionFactory,
    FicheFactory,
    PlanFactory,
    UserFactory,
    create_plan,
    make_draft,
)
from tests.seeds import CARCASSONNE, seed_bytes

pytestmark = pytest.mark.django_db

SIZES = [2, 12]
EXPORT_QUERIES = 11  # plan, then plan_to_dict: owned by export.py, constant too


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def text(response) -> str:
    """The page's visible text, tags removed and whitespace squashed, for content assertions."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html(response))).replace("&#x27;", "'")


@pytest.fixture
def plan():
    return create_plan(3)


# --- Layout -------------------------------------------------------------------------------------


def test_layout_has_header_skiplinks_navigation_and_licence(client, plan):
    page = html(client.get("/"))
    assert '<p class="fr-header__service-title">Pilotis</p>' in page
    assert "Piloter un contrat local de santé" in page
    assert 'class="fr-skiplinks"' in page and 'href="#content"' in page
    assert 'id="fr-navigation"' in page
    assert ">Plans</a>" in page and ">Recherche</a>" in page
    assert ">Importer</a>" not in page  # anonymous visitors cannot import
    assert "Se connecter" in page and "AGPL-3.0-or-later" in page


def test_coordinator_sees_import_link_and_a_post_logout(client):
    client.force_login(UserFactory(coordinator=True))
    page = html(client.get("/"))
    assert ">Importer</a>" in page
    logout = re.search(r'<form method="post" action="/comptes/logout/">(.*?)</form>', page, re.S)
    assert logout and "csrfmiddlewaretoken" in logout.group(1)


def test_logout_by_post_signs_out(client):
    client.force_login(UserFactory())
    response = client.post("/comptes/logout/")
    assert response.status_code == 302
    assert "Se connecter" in html(client.get("/"))


def test_login_page_has_labelled_fields_and_signs_in(client):
    page = html(client.get("/comptes/login/"))
    assert '<label class="fr-label" for="id_username">Identifiant</label>' in page
    assert '<label class="fr-label" for="id_password">Mot de passe</label>' in page
    user = UserFactory()
    response = client.post("/comptes/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302


def test_bad_login_shows_an_error(client):
    response = client.post("/comptes/login/", {"username": "personne", "password": "faux"})
    assert "Connexion impossible" in html(response)


def test_no_dsfr_config_query_on_pages(client, django_assert_num_queries):
    # An empty home page costs exactly its own query: the site configuration is a constant.
    with django_assert_num_queries(1):
        client.get("/")


# --- Permissions helper -------------------------------------------------------------------------


def test_can_import_only_coordinators_and_superusers():
    assert not perms.can_import(AnonymousUser())
    assert not perms.can_import(None)
    assert not perms.can_import(UserFactory())
    assert perms.can_import(UserFactory(coordinator=True))
    assert perms.can_import(UserFactory(is_superuser=True))


# --- Plan list ----------------------------------------------------------------------------------


def test_index_lists_plans_with_their_facts(client, plan):
    page = text(client.get("/plans/"))
    assert plan.title in page
    assert "Contrat local de santé" in page
    assert "Carcassonne Agglo" in page
    assert "15 mars 2024" in page
    assert re.search(r"15 mars 2024 3\b", page)  # fiche count column


def test_index_without_plans_says_so(client):
    assert "Aucun plan pour le moment" in text(client.get("/plans/"))


@pytest.mark.parametrize("n", SIZES)
def test_index_query_count_is_constant(client, django_assert_num_queries, n):
    create_plan(n)
    create_plan(n)
    with django_assert_num_queries(1):
        client.get("/plans/")
    with django_assert_num_queries(1):  # the home page, for a visitor: the plans only
        client.get("/")


# --- Plan overview ------------------------------------------------------------------------------


def test_overview_shows_header_tree_and_fiches(client, plan):
    response = client.get(plan.get_absolute_url())
    page, txt = html(response), text(response)
    assert f"<h1>{plan.title}</h1>" in page
    assert "ARS Occitanie" in txt and "15 mars 2024" in txt
    assert "5 ans (année 1 = 2024, dernière année = 2028)" in txt
    assert "3 fiches" in txt and "9 actions" in txt and "6 indicateurs" in txt
    # Levels are named by the plan; nested sections get deeper headings.
    assert re.search(r"<h3[^>]*>\s*Ambition 1 — Agir pour des comportements", page)
    assert re.search(r"<h4[^>]*>\s*Objectif général 1.1 — Prévenir", page)
    # A section without fiches still shows.
    assert "Ambition 2 — Mieux se soigner sur le territoire" in txt
    assert "Aucune fiche dans cette section." in txt
    # Fiche 1 hangs on the ambition itself, fiche 2 on an objective.
    assert f'href="/plans/{plan.slug}/fiches/1/">Promouvoir la santé mentale des jeunes' in page
    assert f'href="/plans/{plan.slug}/fiches/2/">Soutenir la parentalité' in page
    assert f'href="/plans/{plan.slug}/organisations/caf/"' in page
    assert f'href="/plans/{plan.slug}/export.json"' in page and "Télécharger le JSON" in page
    assert f'href="/plans/{plan.slug}/rapport-import/"' in page
    assert "<caption>" in page and '<th scope="col">' in page and '<th scope="row">' in page


def test_overview_unknown_plan_is_404(client):
    assert client.get("/plans/inconnu/").status_code == 404


@pytest.mark.parametrize("n", SIZES)
def test_overview_query_count_is_constant(client, django_assert_num_queries, n):
    plan = create_plan(n)
    # plan, sections, fiches with counts, their pilots, unplaced line count, links across plans
    with django_assert_num_queries(6):
        html(client.get(plan.get_absolute_url()))


# --- Fiche page ---------------------------------------------------------------------------------


def test_fiche_reads_like_the_paper_fiche(client, plan):
    response = client.get(f"/plans/{plan.slug}/fiches/2/")
    page, txt = html(response), text(response)
    assert "<h1>Fiche n°2 — Soutenir la parentalité</h1>" in page
    # Breadcrumb: plan > ambition > objective > fiche
    crumbs = re.search(r'<nav role="navigation"\s+class="fr-breadcrumb".*?</nav>', page, re.S)
    assert crumbs
    crumb_text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", crumbs.group(0)))
    assert re.search(
        rf"{re.escape(plan.title)} .*Ambition 1 .*Objectif général 1.1 .*Fiche n°2", crumb_text
    )
    assert "Co-pilotage" in txt
    assert f'<a href="/plans/{plan.slug}/organisations/caf/">' in page
    assert "Caisse d'allocations familiales de l'Aude écrit « CAF »" in txt
    assert "Partenaires Agence régionale de santé Occitanie écrit « ARS »" in txt
    assert "<p>Premier paragraphe du contexte.</p><p>Second paragraphe du contexte.</p>" in page
    assert f'<a href="/plans/{plan.slug}/fiches/3/">Fiche n°3 — Fiche de test n°3</a>' in page
    assert "Objectif stratégique Accompagner les parents" in txt
    assert "Objectifs opérationnels Améliorer les compétences parentales" in txt
    assert "Public cible futurs parents" in txt
    assert "PRS Occitanie 2023-2028" in txt
    assert "De résultat Action A : Bénéficiaires" in txt
    assert "De suivi Actions B et C : Évolution des cours" in txt
    assert "Financements CAF, ARS" in txt
    assert "Source : cls-test.txt, lignes 100 à 180." in txt
    assert "Points à vérifier" not in txt
    assert 'rel="prev"' in page and 'rel="next"' in page


def test_fiche_deadline_grid_has_one_column_per_contract_year(client, plan):
    page = html(client.get(f"/plans/{plan.slug}/fiches/2/"))
    table = re.search(r"<table>.*?</table>", page, re.S).group(0)
    headers = re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', table)
    assert headers == ["Action", "Intitulé"] + [f"Année {y} ({2023 + y})" for y in range(1, 6)]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]
    marks = [
        [bool(re.search(r"✓</span><span class=\"fr-sr-only\">Prévue", cell)) for cell in cells]
        for cells in (
            re.findall(r'<td class="pilotis-year[^"]*">(.*?)</td>', r, re.S) for r in rows
        )
    ]
    assert marks[0] == [True] * 5  # A: years 1 to 5
    assert marks[1] == [False, True, True, False, False]  # B: years 2 and 3
    assert "Non prévue" in rows[1]
    assert 'colspan="5"' in rows[2] and "Non précisée" in rows[2]  # C: no deadline


def test_fiche_review_flags_show_as_an_alert(client, plan):
    txt = text(client.get(f"/plans/{plan.slug}/fiches/3/"))
    assert "Points à vérifier" in txt
    assert "actions : Échéance illisible (ligne 150)" in txt


def test_first_and_last_fiche_have_one_neighbour(client, plan):
    first = html(client.get(f"/plans/{plan.slug}/fiches/1/"))
    last = html(client.get(f"/plans/{plan.slug}/fiches/3/"))
    assert 'rel="prev"' not in first and 'rel="next"' in first
    assert 'rel="prev"' in last and 'rel="next"' not in last


def test_unknown_fiche_is_404(client, plan):
    assert client.get(f"/plans/{plan.slug}/fiches/99/").status_code == 404


@pytest.mark.parametrize("n", SIZES)
def test_fiche_query_count_is_constant(client, django_assert_num_queries, n):
    plan = create_plan(n)
    # fiche+plan, roles, actions, indicators, programmes, linked fiches, sections, prev, next,
    # links with other plans
    with django_assert_num_queries(10):
        html(client.get(f"/plans/{plan.slug}/fiches/2/"))


def test_fiche_extra_rubrics_show_french_labels_in_the_papers_order(client):
    fiche = FicheFactory(
        extra={
            "budget": "70 000 €\nÀ répartir sur la mission",
            "actors": "- Libéraux\n  - MG\n- DAC",
            "mission": "Mission 2 - Parcours",
            "findings": "Premier constat.\n\nSecond constat.",
            "rubrique_inconnue": "Texte",
        }
    )
    response = client.get(fiche.get_absolute_url())
    page, txt = html(response), text(response)
    headings = re.findall(r"<h2[^>]*>([^<]+)</h2>", page)
    order = ["Constats", "Déclinaison des actions", "Acteurs concernés", "Budget"]
    assert [h for h in headings if h in order] == order
    assert "rubrique_inconnue" in headings
    assert "Mission concernée Mission 2 - Parcours" in txt  # a fact under the title
    assert "<p>Premier constat.</p><p>Second constat.</p>" in page
    assert re.search(r"<ul><li>Libéraux\s*<ul><li>MG</li></ul></li><li>DAC</li></ul>", page)
    assert "<p>70 000 €</p><p>À répartir sur la mission</p>" in page


def test_fiche_actions_show_their_months_and_steps(client):
    calendar = "Démarrage 6 à 12 mois après la signature des ACI"
    fiche = FicheFactory(extra={"calendar": calendar})
    ActionFactory(
        fiche=fiche,
        extra={
            "calendar": calendar,
            "start_month": "6",
            "start_month_latest": "12",
            "end_month": "24",
            "details": "- Répertorier les données\n- Sécuriser les données",
        },
    )
    ActionFactory(fiche=fiche, extra={"calendar": "1 mois après", "start_month": "1"})
    response = client.get(fiche.get_absolute_url())
    page, txt = html(response), text(response)
    assert "Entre le 6e et le 12e mois après la signature de l’ACI, jusqu’au 24e mois" in txt
    assert "<li>Répertorier les données</li><li>Sécuriser les données</li>" in page
    # The fiche's calendar is shown once; an action's own calendar is shown under it.
    assert txt.count(calendar) == 1
    assert "À partir du 1er mois après la signature de l’ACI" in txt
    assert "Calendrier : « 1 mois après »" in txt


def test_prs_scheme_fiche_leaves_out_empty_follow_up_rubrics(client):
    plan = PlanFactory(kind=Plan.Kind.PRS_SCHEME)
    fiche = FicheFactory(plan=plan, public="", extra={"regional_number": "4", "challenge": "Défi"})
    txt = text(client.get(fiche.get_absolute_url()))
    assert "Numéro régional 4" in txt and "Défi à relever Défi" in txt
    for missing in ("Pilotage", "Déclinaison des actions", "Public cible", "Indicateurs"):
        assert missing not in txt
    overview = text(client.get(plan.get_absolute_url()))
    assert "Pilotage" not in overview and "Non précisé N°" not in overview


# --- Organisations ------------------------------------------------------------------------------


def test_organisation_glossary(client, plan):
    response = client.get(f"/plans/{plan.slug}/organisations/")
    txt = text(response)
    assert "Département de l'Aude CD CD, Département (PMI) 3 0" in txt
    assert "Agence régionale de santé Occitanie ARS 0 3" in txt
    assert f'href="/plans/{plan.slug}/organisations/departement-aude/"' in html(response)


def test_organisation_page_lists_every_fiche_with_role(client, plan):
    response = client.get(f"/plans/{plan.slug}/organisations/caf/")
    txt = text(response)
    assert "Caisse d'allocations familiales de l'Aude (CAF)" in txt
    assert "Pilote ou co-pilote de 3 fiches, partenaire de 0 fiche." in txt
    assert "Fiche n°2 — Soutenir la parentalité Co-pilote CAF" in txt
    assert f'href="/plans/{plan.slug}/fiches/1/"' in html(response)


def test_unknown_organisation_is_404(client, plan):
    assert client.get(f"/plans/{plan.slug}/organisations/inconnue/").status_code == 404


@pytest.mark.parametrize("n", SIZES)
def test_organisation_pages_query_counts_are_constant(client, django_assert_num_queries, n):
    plan = create_plan(n)
    with django_assert_num_queries(2):  # plan, organisations with counts
        html(client.get(f"/plans/{plan.slug}/organisations/"))
    # organisation+plan, roles with fiches, then one per registered panel (the directory's
    # resources, the bodies it sits in)
    with django_assert_num_queries(4):
        html(client.get(f"/plans/{plan.slug}/organisations/caf/"))


# --- Import report ------------------------------------------------------------------------------


def test_import_report_lists_unplaced_lines_and_flagged_fiches(client, plan):
    response = client.get(f"/plans/{plan.slug}/rapport-import/")
    txt = text(response)
    assert "5 Page 3 / 120 pied de page" in txt
    assert "1020 texte égaré hors rubrique" in txt
    assert "Fiche n°3 — Fiche de test n°3 actions : Échéance illisible (ligne 150)" in txt
    assert "Fiche n°1 —" not in txt


@pytest.mark.parametrize("n", SIZES)
def test_import_report_query_count_is_constant(client, django_assert_num_queries, n):
    plan = create_plan(n)
    with django_assert_num_queries(3):  # plan, unplaced lines, fiches
        html(client.get(f"/plans/{plan.slug}/rapport-import/"))


# --- JSON export --------------------------------------------------------------------------------


def test_export_json_downloads_the_plan(client, plan):
    response = client.get(f"/plans/{plan.slug}/export.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert f'filename="{plan.slug}.json"' in response["Content-Disposition"]
    assert response.content.decode() == plan_to_json(plan)
    data = response.json()
    assert data["slug"] == plan.slug and data["title"] == plan.title
    assert "Soutenir la parentalité" in response.content.decode()  # accents kept as is


def test_export_json_unknown_plan_is_404(client):
    assert client.get("/plans/inconnu/export.json").status_code == 404


@pytest.mark.parametrize("n", SIZES)
def test_export_json_query_count_is_constant(client, django_assert_num_queries, n):
    plan = create_plan(n)
    with django_assert_num_queries(EXPORT_QUERIES):
        client.get(f"/plans/{plan.slug}/export.json")


# --- Search -------------------------------------------------------------------------------------


def test_search_without_accents_finds_accented_text(client, plan):
    response = client.get("/recherche/", {"q": "sante"})
    page = html(response)
    assert "Fiche n°1 — Promouvoir la santé mentale des jeunes" in page
    assert "Promouvoir la <mark>santé</mark> mentale" in page
    assert plan.title in page


def test_search_parentalite_finds_fiche_2(client, plan):
    page = html(client.get("/recherche/", {"q": "parentalite"}))
    assert f'href="/plans/{plan.slug}/fiches/2/">Fiche n°2 — Soutenir la parentalité' in page
    assert "1 fiche trouvée" in page


def test_search_form_is_labelled(client):
    page = html(client.get("/recherche/"))
    assert '<label class="fr-label" for="search-q">' in page
    assert '<label class="fr-label" for="search-plan">Plan</label>' in page
    assert 'class="fr-search-bar' in page
    assert "Saisissez un ou plusieurs mots" in page


def test_search_with_no_result_says_so(client, plan):
    assert "Aucune fiche ne correspond à « zzzz »" in text(client.get("/recherche/?q=zzzz"))


def test_search_can_be_limited_to_a_plan(client, plan):
    other = create_plan(2, title="Autre contrat")
    page = html(client.get("/recherche/", {"q": "parentalite", "plan": other.slug}))
    assert f"/plans/{other.slug}/fiches/2/" in page
    assert f"/plans/{plan.slug}/fiches/2/" not in page


@pytest.mark.parametrize("n", SIZES)
def test_search_query_count_is_constant(client, django_assert_num_queries, n):
    create_plan(n)
    with django_assert_num_queries(3):  # plans for the filter, fiches, their actions
        html(client.get("/recherche/", {"q": "sante"}))
    with django_assert_num_queries(1):  # plans for the filter only
        html(client.get("/recherche/"))


# --- Import -------------------------------------------------------------------------------------


@pytest.fixture
def coordinator(client, settings, tmp_path):
    settings.VAR_DIR = tmp_path  # pending uploads are written there
    client.force_login(UserFactory(coordinator=True))
    return client


def test_import_requires_login(client):
    response = client.get("/plans/import/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_import_forbidden_to_non_coordinators(client):
    client.force_login(UserFactory())
    response = client.get("/plans/import/")
    assert response.status_code == 403
    assert "Seuls les coordinateurs peuvent importer un plan." in response.content.decode()
    assert client.post("/plans/import/", {"step": "confirm"}).status_code == 403


def test_import_page_has_a_labelled_file_input(coordinator):
    page = html(coordinator.get("/plans/import/"))
    assert '<label class="fr-label" for="id_document">' in page
    assert 'class="fr-upload"' in page and 'type="file"' in page
    assert "Taille maximale : 20 Mo" in page


def upload(client, content: bytes = b"x", name: str = "cls.txt"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        "/plans/import/",
        {"step": "preview", "document": SimpleUploadedFile(name, content, "text/plain")},
    )


def test_unreadable_document_shows_the_parse_error_and_saves_nothing(coordinator):
    response = upload(coordinator, b"Un simple texte sans fiche action.", "note.txt")
    assert response.status_code == 400
    page = response.content.decode()
    assert "fr-alert--error" in page and "Le document n’a pas pu être lu" in page
    assert "n&#x27;est pas reconnu comme un plan importable" in page
    assert Plan.objects.count() == 0


def test_parse_error_message_is_shown_as_is(coordinator, monkeypatch):
    def refuse(data, filename):
        raise ParseError("Ligne 12 : la fiche n°3 n'a pas de titre.")

    monkeypatch.setattr(registry, "parse_document", refuse)
    response = upload(coordinator)
    assert "Ligne 12 : la fiche n°3 n&#x27;a pas de titre." in response.content.decode()
    assert Plan.objects.count() == 0


def test_too_large_document_is_refused(coordinator, settings, monkeypatch):
    settings.MAX_UPLOAD_MB = 1
    monkeypatch.setattr(registry, "parse_document", lambda *a: pytest.fail("parsed"))
    response = upload(coordinator, b"x" * (1024 * 1024 + 1))
    assert response.status_code == 400
    assert "la taille maximale est de 1 Mo" in response.content.decode()


def test_missing_file_is_refused(coordinator):
    response = coordinator.post("/plans/import/", {"step": "preview"})
    assert response.status_code == 400
    assert "Choisissez le document à importer." in response.content.decode()


def test_preview_then_confirm_saves_the_plan(coordinator, monkeypatch):
    draft = make_draft(3)
    monkeypatch.setattr(registry, "parse_document", lambda data, filename: draft)
    preview = upload(coordinator, b"contenu du contrat")
    txt = text(preview)
    assert draft.title in txt
    assert "Sections 3 Fiches 3 Actions 6 Indicateurs 9" in txt
    assert "Lignes non placées 2" in txt and "Points à vérifier 1" in txt
    assert "Fiche n°1, actions : Échéance illisible" in txt
    assert Plan.objects.count() == 0  # the dry run rolled back
    token = re.search(r'name="token" value="([0-9a-f]+)"', preview.content.decode()).group(1)

    response = coordinator.post("/plans/import/", {"step": "confirm", "token": token})
    assert response.status_code == 302
    assert response["Location"] == f"/plans/{draft.slug}/"
    assert Fiche.objects.filter(plan__slug=draft.slug).count() == 3
    page = text(coordinator.get(response["Location"]))
    assert f"Le plan « {draft.title} » a été importé" in page
    assert not list(coordinator.session.keys() & {"pilotis_pending_import"})


def test_preview_can_be_cancelled(coordinator, monkeypatch, tmp_path):
    monkeypatch.setattr(registry, "parse_document", lambda data, filename: make_draft(2))
    upload(coordinator)
    assert len(list((tmp_path / "imports-en-attente").iterdir())) == 1
    response = coordinator.post("/plans/import/", {"step": "cancel"}, follow=True)
    assert "Import annulé" in text(response)
    assert list((tmp_path / "imports-en-attente").iterdir()) == []
    assert Plan.objects.count() == 0


def test_confirm_without_a_preview_saves_nothing(coordinator):
    response = coordinator.post("/plans/import/", {"step": "confirm", "token": "00"}, follow=True)
    assert "Cet aperçu a expiré" in text(response)
    assert Plan.objects.count() == 0


@pytest.mark.slow
def test_carcassonne_contract_through_the_upload_page(coordinator, django_assert_num_queries):
    """The real contract, uploaded, previewed, confirmed, then read like its paper fiche n°2."""
    preview = upload(coordinator, seed_bytes(CARCASSONNE), CARCASSONNE)
    assert "Fiches 55" in text(preview)
    token = re.search(r'name="token" value="([0-9a-f]+)"', preview.content.decode()).group(1)
    response = coordinator.post("/plans/import/", {"step": "confirm", "token": token})
    assert response.status_code == 302
    plan = Plan.objects.get()
    assert not plan.published  # an imported plan waits for its coordinator to publish it
    coordinator.post(f"/plans/{plan.slug}/publication/", {"published": "1"})
    coordinator.logout()  # query counts below are the anonymous reader's

    with django_assert_num_queries(10):
        response = coordinator.get(f"/plans/{plan.slug}/fiches/2/")
    txt = text(response)
    assert "Fiche n°2 — Soutenir la parentalité" in txt
    assert "Co-pilotage Caisse d'allocations familiales de l'Aude écrit « CAF »" in txt
    assert "Fiche n°4 — Former les professionnels relais" in txt
    assert "Année 1 (2024)" in txt and "Année 5 (2028)" in txt
    assert "Action F : Evolution du nombre d’ateliers" in txt
    with django_assert_num_queries(6):
        assert "55 fiches" in text(coordinator.get(plan.get_absolute_url()))
    assert "Soutenir la parentalité" in text(coordinator.get("/recherche/?q=parentalite"))


def test_pages_are_french_whatever_the_browser_language(client, plan):
    response = client.get(f"/plans/{plan.slug}/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    page = response.content.decode()
    assert ">Accueil</a>" in page
    assert "Home page" not in page
