"""Issue 10's "done when" for the plan editor, with the Django test client: a new user writes
"CLS de test" in the browser, merges two spellings of one organisation and opens the 2025
campaign on it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pilotis.accounts import roles
from pilotis.accounts.models import Invitation, Membership
from pilotis.followup.models import Campaign, FicheReport
from pilotis.plans import history
from pilotis.plans.models import Fiche, FicheIndicator, FicheRole, Organisation, Plan, Section
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _ok(response, where: str = ""):
    """The response of a successful POST: a redirect (the form was accepted)."""
    assert response.status_code == 302, (where, response.status_code, response.content[:3000])
    return response


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_new_user_writes_a_plan_in_the_browser_and_opens_its_2025_campaign(client):
    user = UserFactory(username="camille", first_name="Camille", last_name="Martin")
    client.force_login(user)

    # The plan, from nothing.
    page = client.get(reverse("plans:plan_create"))
    assert page.status_code == 200
    assert "Autre plan (plan local de santé, atelier santé ville…)" in page.text
    response = _ok(
        client.post(
            reverse("plans:plan_create"),
            {
                "kind": "cls",
                "title": "CLS de test",
                "signatories": "ARS Occitanie\nCommune de Testville",
                "signature_date": "2025-03-14",
                "start_year": "2025",
                "duration_years": "5",
                "perimeter": "Testville et alentours",
                "levels": "Axe\nObjectif",
            },
        )
    )
    plan = Plan.objects.get(title="CLS de test")
    assert response.url == reverse("plans:editor", args=[plan.slug])
    assert plan.slug == "cls-de-test"
    assert plan.signatories == ["ARS Occitanie", "Commune de Testville"]
    assert plan.levels == ["Axe", "Objectif"]
    assert plan.perimeter.name == "Testville et alentours"
    assert not plan.published
    assert roles.is_coordinator(user, plan)
    assert Membership.objects.filter(user=user, plan=plan, role="coordinator").exists()

    # Two axes.
    for number, title in (("1", "Prévenir"), ("2", "Soigner")):
        plan.refresh_from_db()
        _ok(
            client.post(
                reverse("plans:section_add", args=[plan.slug]),
                {"parent": "", "number": number, "title": title, "version": plan.version},
            )
        )
    axes = list(plan.sections.order_by("position"))
    assert [(s.number, s.title, s.depth) for s in axes] == [
        ("1", "Prévenir", 0),
        ("2", "Soigner", 0),
    ]
    editor_page = client.get(reverse("plans:editor", args=[plan.slug]))
    assert "Axe 1" in editor_page.text and "Axe 2" in editor_page.text

    # Three fiches: two under axis 1, one under axis 2.
    for number, section in (("1", axes[0]), ("2", axes[0]), ("3", axes[1])):
        plan.refresh_from_db()
        _ok(
            client.post(
                reverse("plans:fiche_add", args=[plan.slug]),
                {
                    "number": number,
                    "section": section.pk,
                    "title": f"Fiche de test {number}",
                    "pilotage_label": "pilotage",
                    "context": "Un contexte.",
                    "strategic_objective": "",
                    "operational_objectives": "Objectif A\nObjectif B",
                    "public": "Tout public",
                    "version": plan.version,
                },
            ),
            f"fiche {number}",
        )
    fiches = list(plan.fiches.order_by("position"))
    assert [(f.number, f.section_id) for f in fiches] == [
        ("1", axes[0].pk),
        ("2", axes[0].pk),
        ("3", axes[1].pk),
    ]
    fiche = fiches[0]
    assert fiche.operational_objectives == ["Objectif A", "Objectif B"]

    # Actions, a pilot, a partner under another spelling, an indicator.
    add = lambda part: reverse("plans:fiche_part_add", args=[plan.slug, "1", part])  # noqa: E731
    for text, years in (("Informer les familles", ["1", "2"]), ("Former les relais", ["3"])):
        fiche.refresh_from_db()
        _ok(
            client.post(
                add("action"),
                {"letter": "", "text": text, "deadline_years": years, "version": fiche.version},
            )
        )
    assert [(a.letter, a.text, a.deadline_years) for a in fiche.actions.order_by("position")] == [
        ("A", "Informer les familles", [1, 2]),
        ("B", "Former les relais", [3]),
    ]
    fiche.refresh_from_db()
    _ok(
        client.post(
            add("role"),
            {
                "role": "pilot",
                "organisation": "",
                "new_name": "Conseil départemental de l’Aude",
                "new_acronym": "CD 11",
                "new_aliases": "",
                "version": fiche.version,
            },
        )
    )
    fiche.refresh_from_db()
    _ok(
        client.post(
            add("role"),
            {
                "role": "partner",
                "organisation": "",
                "new_name": "Département de l’Aude",
                "new_acronym": "",
                "new_aliases": "Département",
                "version": fiche.version,
            },
        )
    )
    fiche.refresh_from_db()
    _ok(
        client.post(
            add("indicator"),
            {
                "kind": "result",
                "text": "Nombre de familles informées",
                "action_letters": ["A"],
                "version": fiche.version,
            },
        )
    )
    indicator = FicheIndicator.objects.get(fiche=fiche)
    assert (indicator.kind, indicator.action_letters) == ("result", ["A"])
    parts = client.get(reverse("plans:fiche_parts", args=[plan.slug, "1"]))
    assert "Nombre de familles informées" in parts.text
    assert "Conseil départemental de l’Aude" in parts.text

    # The two spellings of the Département are one organisation: merge them.
    cd = Organisation.objects.get(plan=plan, acronym="CD 11")
    department = Organisation.objects.get(plan=plan, name="Département de l’Aude")
    other_user = UserFactory()
    membership = roles.grant(other_user, plan, "partner", [department])
    invitation = Invitation.objects.create(
        email="agent@aude.example",
        plan=plan,
        role="partner",
        token_hash="0" * 64,
        created_by=user,
        expires_at=timezone.now() + timedelta(days=7),
    )
    invitation.organisations.add(department)
    plan.refresh_from_db()
    response = _ok(
        client.post(
            reverse("plans:organisations_editor", args=[plan.slug]),
            {"keep": cd.pk, "drop": department.pk, "version": plan.version},
        )
    )
    assert not Organisation.objects.filter(pk=department.pk).exists()
    cd.refresh_from_db()
    assert cd.aliases == ["Département de l’Aude", "Département"]
    assert list(FicheRole.objects.filter(fiche=fiche).values_list("role", "organisation")) == [
        ("pilot", cd.pk),
        ("partner", cd.pk),
    ]
    assert list(membership.organisations.all()) == [cd]
    assert list(invitation.organisations.all()) == [cd]
    merged = Organisation.history.filter(id=department.pk, history_type="-").get()
    assert merged.history_user == user
    assert (
        merged.history_change_reason
        == "Fusion de « Département de l’Aude » dans « Conseil départemental de l’Aude »"
    )

    # Everything is in the fiche's history, with its author.
    change_sets = history.fiche_history(fiche)
    assert change_sets and all(s.user == "Camille Martin" for s in change_sets)
    subjects = {e.subject for s in change_sets for e in s.entries}
    assert {
        "Fiche",
        "Action A",
        "Action B",
        "Indicateur de résultat : Nombre de familles informées",
    } <= subjects

    # The plan page shows what was written; the 2025 campaign opens on it.
    overview = client.get(plan.get_absolute_url())
    assert "Fiche de test 3" in overview.text
    deadline = (timezone.localdate() + timedelta(days=30)).strftime("%d/%m/%Y")
    _ok(
        client.post(
            reverse("followup:campaigns", args=[plan.slug]),
            {"year": "1", "deadline": deadline},
        )
    )
    campaign = Campaign.objects.get(plan=plan)
    assert campaign.calendar_year == 2025
    assert set(
        FicheReport.objects.filter(campaign=campaign).values_list("fiche__number", flat=True)
    ) == {"1", "2", "3"}
    assert Section.objects.filter(plan=plan).count() == 2
    assert Fiche.objects.filter(plan=plan).count() == 3
