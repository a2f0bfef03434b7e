"""The partnership: organisation types and contacts, involvement by section, the matrix XLSX, and
what other apps add to an organisation's page."""

import io
from pathlib import Path

import dsfr
import pytest
from openpyxl import load_workbook

from pilotis.accounts import roles
from pilotis.directory.models import DEFAULT_CATEGORIES, Resource
from pilotis.governance.models import Body, BodyMember
from pilotis.plans import partners
from pilotis.plans.models import Organisation
from tests.factories import (
    FicheFactory,
    FicheRoleFactory,
    OrganisationFactory,
    PlanFactory,
    SectionFactory,
    UserFactory,
)


@pytest.mark.parametrize(
    ("name", "acronym", "kind"),
    [
        ("Caisse primaire d’assurance maladie de l’Aude", "CPAM", "social_security"),
        ("Agence régionale de santé Occitanie", "ARS", "state"),
        ("Centre hospitalier de Carcassonne", "CH", "hospital"),
        (
            "Communauté professionnelle territoriale de santé du Bassin carcassonnais",
            "CPTS",
            "professionals",
        ),
        ("Carcassonne Agglo", "", "local_authority"),
        ("Conseil départemental de l’Aude", "CD11", "local_authority"),
        ("IREPS Occitanie", "IREPS", "education"),
        ("Ligue contre le cancer", "", "association"),
        ("Les Petits Débrouillards", "", ""),
    ],
)
def test_a_kind_is_guessed_from_the_name(name, acronym, kind):
    assert partners.guess_kind(name, acronym) == kind


def test_involvement_counts_fiches_once_per_section():
    rows = [
        partners.Involvement(1, 10, 100, "pilot"),
        partners.Involvement(1, 10, 100, "partner"),  # same fiche twice: counted once
        partners.Involvement(1, 11, 200, "partner"),
        partners.Involvement(2, 11, 200, "partner"),
    ]
    first, second = partners.involvement_by_section(rows)
    assert (first.organisation_id, first.total, first.piloted) == (1, 2, 1)
    assert dict(first.by_section) == {100: 1, 200: 1}
    assert (second.organisation_id, second.total) == (2, 1)


def test_the_matrix_keeps_the_strongest_role():
    table = partners.matrix(
        [(10, "1", "Fiche un"), (11, "2", "Fiche deux")],
        [(1, "CAF"), (2, "=CPAM")],
        [
            partners.Involvement(1, 10, None, "partner"),
            partners.Involvement(1, 10, None, "pilot"),
            partners.Involvement(2, 11, None, "copilot"),
        ],
    )
    assert table == [
        ["Fiche", "Intitulé", "CAF", "=CPAM"],
        ["1", "Fiche un", "Pilote", ""],
        ["2", "Fiche deux", "", "Co-pilote"],
    ]


def test_every_category_pictogram_exists_in_the_shipped_dsfr():
    css = next(Path(dsfr.__file__).parent.glob("static/dsfr/dist/utility/utility.min.css"))
    text = css.read_text()
    for _code, _label, icon in DEFAULT_CATEGORIES:
        assert f".{icon}" in text, icon


@pytest.mark.django_db
def test_pages(client, django_assert_num_queries):
    plan = PlanFactory(slug="cls-partenariat")
    axis1, axis2 = SectionFactory(plan=plan, number="1"), SectionFactory(plan=plan, number="2")
    caf = OrganisationFactory(plan=plan, name="=CAF de l’Aude", key="caf")
    cpam = OrganisationFactory(plan=plan, name="CPAM de l’Aude", key="cpam")
    f1 = FicheFactory(plan=plan, section=axis1, number="1")
    f2 = FicheFactory(plan=plan, section=axis2, number="2")
    FicheRoleFactory(fiche=f1, organisation=caf, role="pilot")
    FicheRoleFactory(fiche=f2, organisation=caf, role="partner")
    FicheRoleFactory(fiche=f2, organisation=cpam, role="pilot")
    Resource.objects.create(
        plan=plan, name="Point conseil budget", organisation=caf, whole_perimeter=True
    )
    body = Body.objects.create(plan=plan, name="Comité de pilotage", kind="copil")
    BodyMember.objects.create(body=body, organisation=cpam, label="CPAM de l’Aude")
    user = UserFactory()
    roles.grant(user, plan, roles.Role.COORDINATOR)
    client.force_login(user)

    page = client.get(caf.get_absolute_url()).content.decode()
    assert "Point conseil budget" in page  # from the directory
    assert "Assurance maladie et sécurité sociale" in page and "déduit du nom" in page
    assert "Comité de pilotage" in client.get(cpam.get_absolute_url()).content.decode()

    # Session, user, grants, context processors, plan, sections, roles, organisations: the same
    # count whatever the number of organisations and fiches.
    with django_assert_num_queries(8):
        client.get(f"/plans/{plan.slug}/partenariat/")
    for _ in range(3):
        extra = FicheFactory(plan=plan, section=axis2)
        FicheRoleFactory(fiche=extra, organisation=OrganisationFactory(plan=plan), role="partner")
    with django_assert_num_queries(8):
        overview = client.get(f"/plans/{plan.slug}/partenariat/")
    text = overview.content.decode()
    assert "CPAM de l’Aude" in text and "=CAF de l’Aude" in text
    sheet = load_workbook(
        io.BytesIO(client.get(f"/plans/{plan.slug}/partenariat/matrice.xlsx").content)
    ).active
    assert [c.value for c in sheet[1]][:4] == [
        "Fiche",
        "Intitulé",
        "=CAF de l’Aude",
        "CPAM de l’Aude",
    ]
    assert sheet["C1"].data_type == "s"  # a name starting with = stays text
    assert [c.value for c in sheet[3]][2:4] == ["Partenaire", "Pilote"]
    assert sheet.max_row == 1 + 5  # a row per current fiche

    url = f"/plans/{plan.slug}/organisations/caf/type-et-contact/"
    response = client.post(url, {"kind": "social_security", "contact_email": "pas une adresse"})
    assert response.status_code == 400
    client.post(url, {"kind": "social_security", "contact_email": "accueil@caf.example"})
    caf.refresh_from_db()
    assert (caf.kind, caf.contact_email) == ("social_security", "accueil@caf.example")
    assert caf.history.first().history_user == user

    pilot = UserFactory()
    roles.grant(pilot, plan, roles.Role.PILOT)
    client.force_login(pilot)
    assert client.post(url, {"kind": "state"}).status_code == 403
    assert Organisation.objects.get(pk=caf.pk).kind == "social_security"


@pytest.mark.django_db
def test_a_demonstration_plan_says_so_on_its_overview(client):
    demo, real = PlanFactory(is_demo=True), PlanFactory()
    assert "Démonstration" in client.get(f"/plans/{demo.slug}/").content.decode()
    assert "Démonstration" not in client.get(f"/plans/{real.slug}/").content.decode()
