"""The COPIL cycle: decisions on a frozen campaign, validation and carry-over, errata, pages."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from pilotis.followup import copil, services
from pilotis.followup.models import (
    ActionStatus,
    Campaign,
    Decision,
    Erratum,
    FicheFollowup,
    FicheReport,
    IndicatorValue,
    Validation,
)
from pilotis.plans.models import ACTION_ORIGIN_KEY, Action, Fiche
from tests.followup.conftest import build_carcassonne, member
from tests.followup.test_views import MENU_GROUP_CHECK, SIGNED_IN, text

pytestmark = pytest.mark.django_db

KIND = Decision.Kind


def copil_url(plan, year: int = 1, *rest: str) -> str:
    return f"/plans/{plan.slug}/suivi/{year}/copil/" + "".join(f"{r}/" for r in rest)


def decision_url(plan, number: str, year: int = 1) -> str:
    return copil_url(plan, year, "fiches", number)


def erratum_url(plan, number: str, year: int = 1) -> str:
    return copil_url(plan, year, "fiches", number, "erratum")


@pytest.fixture
def frozen(plan, people, campaign):
    """Year 1 with fiche 2 transmitted by the CAF (60 %, action A done), then frozen."""
    report = campaign.reports.get(fiche__number="2")
    fiche = report.fiche
    ActionStatus.objects.create(
        plan=plan, report=report, action=fiche.actions.get(letter="A"), done="yes"
    )
    ActionStatus.objects.create(
        plan=plan, report=report, action=fiche.actions.get(letter="B"), done="no"
    )
    IndicatorValue.objects.create(
        plan=plan,
        report=report,
        indicator=fiche.indicators.get(kind="result"),
        value_number=Decimal("120"),
        unit="familles",
    )
    FicheReport.objects.filter(pk=report.pk).update(
        progress_rate=60, status=FicheReport.Status.SUBMITTED, obstacles="Peu de salles."
    )
    return services.freeze_campaign(campaign)


def decide(campaign, number, kind, user, reason="Motif.", text=""):
    fiche = campaign.plan.fiches.get(number=number)
    current = Decision.objects.filter(campaign=campaign, fiche=fiche).first()
    return copil.record_decision(
        campaign,
        fiche,
        kind=kind,
        reason=reason,
        new_action_text=text,
        user=user,
        loaded=copil.decision_fingerprint(current),
    )


def validate(campaign, user, default_continue=True, day=None):
    return copil.validate_campaign(
        campaign,
        validated_on=day or timezone.localdate(),
        comment="",
        user=user,
        default_continue=default_continue,
    )


# --- Pure helpers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("letters", "expected"),
    [
        ([], "A"),
        (["A", "B", "C"], "D"),
        (["A", "C"], "B"),
        (["a", " b "], "C"),
        ([chr(c) for c in range(ord("A"), ord("Z") + 1)], "AA"),
        (["1", "2"], "3"),
        (["1", "A"], "B"),
    ],
)
def test_next_letter(letters, expected):
    assert copil.next_letter(letters) == expected


@pytest.mark.parametrize(
    ("key", "raw", "partial", "expected"),
    [
        ("progress_rate", "40", False, 40),
        ("progress_rate", "40 %", False, 40),
        ("progress_rate", "100\u00a0%", False, 100),
        ("progress_rate", "", False, None),
        ("objective_reached", "Oui", False, True),
        ("objective_reached", "non", False, False),
        ("objective_reached", "", False, None),
        ("action:1", "oui", False, "yes"),
        ("action:1", "En partie", True, "partly"),
        ("action:1", "", False, ""),
        ("indicator:1", "1 234,5", False, (Decimal("1234.5"), "")),
        ("indicator:1", "en hausse", False, (None, "en hausse")),
        ("indicator:1", "", False, (None, "")),
        ("obstacles", "  Des retards  ", False, "Des retards"),
    ],
)
def test_parse_correction(key, raw, partial, expected):
    assert copil.parse_correction(key, raw, partial) == expected


@pytest.mark.parametrize(
    ("key", "raw", "partial", "message"),
    [
        ("progress_rate", "45", False, "« 45 » n’est pas un taux de l’échelle du contrat"),
        ("progress_rate", "beaucoup", False, "n’est pas un taux"),
        ("objective_reached", "peut-être", False, "réponse attendue Oui, Non ou vide"),
        ("action:1", "En partie", False, "réponse attendue Oui, Non ou vide"),
        ("indicator:1", "1e20", False, "au plus 14 chiffres avant la virgule"),
        ("indicator:1", "0,123456", False, "4 après"),
        ("indicator:1", "Infinity", False, "n’est pas un nombre fini"),
    ],
)
def test_parse_correction_refuses_values_that_do_not_fit(key, raw, partial, message):
    with pytest.raises(copil.BadCorrection, match=re.escape(message)):
        copil.parse_correction(key, raw, partial)


# --- Decisions ------------------------------------------------------------------------------------


def test_no_decision_while_the_campaign_is_open(people, campaign):
    with pytest.raises(copil.WrongState, match="encore ouverte"):
        decide(campaign, "2", KIND.STRENGTHEN, people.copil)
    assert not Decision.objects.exists()


def test_a_changed_decision_keeps_its_history(people, frozen):
    decide(frozen, "2", KIND.CONTINUE, people.copil, reason="")
    decision = decide(frozen, "2", KIND.STRENGTHEN, people.coordinator, reason="Public élargi.")
    assert Decision.objects.count() == 1
    records = list(decision.history.order_by("history_date", "history_id"))
    assert [(r.kind, r.history_user) for r in records] == [
        (KIND.CONTINUE, people.copil),
        (KIND.STRENGTHEN, people.coordinator),
    ]


def test_a_decision_changed_meanwhile_is_not_overwritten(people, frozen):
    fiche = frozen.plan.fiches.get(number="2")
    loaded = copil.decision_fingerprint(None)
    decide(frozen, "2", KIND.REORIENT, people.copil, reason="Autre public.")
    with pytest.raises(copil.StaleDecision) as caught:
        copil.record_decision(
            frozen,
            fiche,
            kind=KIND.STOP,
            reason="Fin.",
            new_action_text="",
            user=people.coordinator,
            loaded=loaded,
        )
    assert caught.value.current.kind == KIND.REORIENT
    assert Decision.objects.get().kind == KIND.REORIENT


# --- Validation and carry-over --------------------------------------------------------------------


def test_validation_refuses_undecided_fiches_unless_they_are_continued(people, frozen):
    decide(frozen, "2", KIND.STRENGTHEN, people.copil)
    with pytest.raises(copil.WrongState, match="Fiches sans décision du COPIL : n°1, n°3"):
        validate(frozen, people.copil, default_continue=False)
    frozen.refresh_from_db()
    assert frozen.status == Campaign.Status.FROZEN and not Validation.objects.exists()

    carried = validate(frozen, people.copil)
    assert carried.defaulted == 2
    assert dict(Decision.objects.values_list("fiche__number", "kind")) == {
        "1": KIND.CONTINUE,
        "2": KIND.STRENGTHEN,
        "3": KIND.CONTINUE,
    }
    frozen.refresh_from_db()
    assert frozen.status == Campaign.Status.VALIDATED
    assert frozen.snapshot["validation"]["validated_by"] == "Colette Copil"
    assert [d["kind"] for d in frozen.snapshot["decisions"]] == [
        "continue",
        "strengthen",
        "continue",
    ]
    # Closed: no more decisions, no second validation.
    with pytest.raises(copil.WrongState, match="déjà validée"):
        decide(frozen, "2", KIND.STOP, people.copil)
    with pytest.raises(copil.WrongState, match="déjà validée"):
        validate(frozen, people.copil)


def test_a_new_action_is_added_to_the_fiche_with_its_history(people, frozen):
    decide(frozen, "2", KIND.NEW_ACTION, people.copil, text="Ateliers parents-enfants")
    validate(frozen, people.copil, day=timezone.localdate())
    fiche = frozen.plan.fiches.get(number="2")
    action = fiche.actions.get(letter="D")  # after A, B and C
    assert action.text == "Ateliers parents-enfants"
    assert action.deadline_years == [2]  # the next contract year
    assert action.extra[ACTION_ORIGIN_KEY].startswith("Ajoutée par la décision du COPIL du ")
    assert action.position > max(a.position for a in fiche.actions.exclude(pk=action.pk))
    record = action.history.get()
    assert record.history_user == people.copil
    assert record.history_change_reason.startswith("Décision du COPIL du ")
    assert Decision.objects.get(fiche=fiche).carried_action == action
    # The fiche page shows where the action comes from.


def test_the_last_year_adds_an_action_without_deadline(people, plan):
    last = services.open_campaign(plan, 5, timezone.localdate() + timedelta(days=1))
    services.freeze_campaign(last)
    decide(last, "2", KIND.NEW_ACTION, people.copil, text="Bilan partagé")
    validate(last, people.copil)
    action = plan.fiches.get(number="2").actions.get(text="Bilan partagé")
    assert action.deadline_years == []
    assert action.deadline_as_written == "Après la dernière année du contrat"


def test_a_stopped_fiche_is_expected_no_more(people, plan, frozen):
    # Year 2 was opened before the COPIL of year 1 met: fiche 3's untouched report goes, fiche
    # 2's report, already filled in, stays.
    year2 = services.open_campaign(plan, 2, timezone.localdate() + timedelta(days=30))
    FicheReport.objects.filter(campaign=year2, fiche__number="2").update(
        status=FicheReport.Status.IN_PROGRESS, updated_at=timezone.now()
    )
    decide(frozen, "3", KIND.STOP, people.copil, reason="Maison de santé ouverte.")
    decide(frozen, "2", KIND.STOP, people.copil, reason="Relais par la CAF.")
    carried = validate(frozen, people.copil)
    assert {f.number for f in carried.stopped} == {"2", "3"}
    settings = FicheFollowup.objects.get(fiche__number="3")
    assert settings.stopped_year == 1
    assert settings.stopped_by == Decision.objects.get(fiche__number="3")
    assert set(year2.reports.values_list("fiche__number", flat=True)) == {"1", "2"}
    # Year 3 expects neither.
    year3 = services.open_campaign(plan, 3, timezone.localdate() + timedelta(days=30))
    assert set(year3.reports.values_list("fiche__number", flat=True)) == {"1"}


def test_a_demonstration_campaign_never_changes_the_plan(people, plan, frozen):
    Campaign.objects.filter(pk=frozen.pk).update(is_demo=True)
    frozen.refresh_from_db()
    decide(frozen, "2", KIND.NEW_ACTION, people.copil, text="Action fictive")
    decide(frozen, "3", KIND.STOP, people.copil)
    carried = validate(frozen, people.copil)
    assert carried.skipped_demo and not carried.actions and not carried.stopped
    assert not Action.objects.filter(text="Action fictive").exists()
    assert not FicheFollowup.objects.exists()


def test_unfreezing_is_refused_once_a_decision_exists(people, frozen):
    decide(frozen, "2", KIND.CONTINUE, people.copil, reason="")
    with pytest.raises(copil.WrongState, match="1 décision"):
        copil.unfreeze_campaign(frozen)
    Decision.objects.all().delete()
    reopened = copil.unfreeze_campaign(frozen)
    assert reopened.status == Campaign.Status.OPEN and reopened.snapshot == {}


def test_a_reimport_keeps_the_actions_the_copil_added(people):
    from pilotis.importers.persist import save_draft
    from tests.factories import make_draft

    draft = make_draft(n_fiches=2)
    fiche = Fiche.objects.get(plan_id=save_draft(draft).plan_id, number="1")
    Action.objects.create(
        fiche=fiche, letter="Z", text="Décidée en COPIL", extra={ACTION_ORIGIN_KEY: "COPIL"}
    )
    summary = save_draft(draft)
    assert not summary.changed
    assert fiche.actions.filter(text="Décidée en COPIL").exists()


# --- Errata ---------------------------------------------------------------------------------------


@pytest.fixture
def validated(people, frozen):
    decide(frozen, "2", KIND.STRENGTHEN, people.copil, reason="Public élargi.")
    validate(frozen, people.copil)
    frozen.refresh_from_db()
    return frozen


def report_of(campaign, number):
    return campaign.reports.select_related("fiche").get(fiche__number=number)


def correct(campaign, number, key, raw, user, reason="Erreur de saisie."):
    return copil.record_erratum(
        campaign, report_of(campaign, number), key=key, raw_value=raw, reason=reason, user=user
    )


def frozen_report(campaign, number):
    campaign.refresh_from_db()
    return next(r for r in campaign.snapshot["reports"] if r["fiche"] == number)


def test_an_erratum_corrects_the_report_and_the_snapshot(people, validated):
    erratum = correct(validated, "2", "progress_rate", "80", people.coordinator)
    assert (erratum.field_label, erratum.before, erratum.after) == (
        "Taux d’avancement",
        "60\u00a0%",
        "80\u00a0%",
    )
    assert erratum.created_by == people.coordinator and erratum.reason == "Erreur de saisie."
    assert report_of(validated, "2").progress_rate == 80
    assert frozen_report(validated, "2")["progress_rate"] == 80

    action_b = validated.plan.fiches.get(number="2").actions.get(letter="B")
    correct(validated, "2", f"action:{action_b.pk}", "Oui", people.copil)
    assert ActionStatus.objects.get(action=action_b).done == "yes"
    rows = {a["letter"]: a["done"] for a in frozen_report(validated, "2")["actions"]}
    assert rows["B"] == "yes"

    indicator = validated.plan.fiches.get(number="2").indicators.get(kind="result")
    erratum = correct(validated, "2", f"indicator:{indicator.pk}", "135", people.copil)
    assert (erratum.before, erratum.after) == ("120 familles", "135 familles")
    value = IndicatorValue.objects.get(indicator=indicator)
    assert value.value_number == Decimal("135") and value.unit == "familles"
    assert frozen_report(validated, "2")["indicators"][0]["value_number"] == "135"


@pytest.mark.parametrize(
    ("key", "raw", "message"),
    [
        ("progress_rate", "45", "« 45 » n’est pas un taux"),
        ("progress_rate", "60", "identique à l’actuelle (60\u00a0%)"),
        ("nothing", "1", "Cette donnée n’existe pas"),
    ],
)
def test_a_wrong_erratum_changes_nothing(people, validated, key, raw, message):
    before = (report_of(validated, "2").progress_rate, validated.snapshot)
    with pytest.raises(copil.BadCorrection, match=re.escape(message)):
        correct(validated, "2", key, raw, people.copil)
    validated.refresh_from_db()
    assert (report_of(validated, "2").progress_rate, validated.snapshot) == before
    assert not Erratum.objects.exists()


def test_no_erratum_before_the_validation(people, frozen):
    with pytest.raises(copil.WrongState, match="pas encore validée"):
        correct(frozen, "2", "progress_rate", "80", people.copil)


# --- Pages ----------------------------------------------------------------------------------------


def test_the_copil_journey_through_the_pages(client, plan, people, frozen):
    """A COPIL member records « Renforcement » on fiche 2, validates; the report shows it."""
    client.force_login(people.copil)
    page = text(client.get(copil_url(plan)))
    assert "Examen par le COPIL — année 1 (2024)" in page
    assert "60\u00a0%" in page and "1 sur 2" in page  # fiche 2: A done, B not

    form = client.get(decision_url(plan, "2")).context["form"]
    response = client.post(
        decision_url(plan, "2"),
        {"kind": "strengthen", "reason": "Étendre aux quartiers prioritaires.", **form.initial},
    )
    assert response.status_code == 302
    page = text(client.get(copil_url(plan)))
    assert "Renforcement — Étendre aux quartiers prioritaires." in page
    assert "Renforcement : 1" in page

    response = client.post(
        copil_url(plan, 1, "valider"),
        {"validated_on": timezone.localdate().isoformat(), "default_continue": "on"},
        follow=True,
    )
    assert "L’évaluation de l’année 1 (2024) est validée." in text(response)
    assert "Décision « Poursuite » enregistrée pour 2 fiche(s)." in text(response)
    page = text(client.get(copil_url(plan)))
    assert "validée par le COPIL du" in page and "Aucune correction depuis la validation." in page
    report = text(client.get(f"/plans/{plan.slug}/suivi/1/rapport/"))
    assert "Renforcement" in report and "Étendre aux quartiers prioritaires." in report


def test_the_decision_page_shows_the_frozen_report_and_the_history(client, plan, people, frozen):
    decide(frozen, "2", KIND.CONTINUE, people.coordinator, reason="")
    decide(frozen, "2", KIND.REORIENT, people.copil, reason="Vers les pères.")
    client.force_login(people.caf_pilot)
    response = client.get(decision_url(plan, "2"))
    assert response.status_code == 200
    page = text(response)
    assert "Peu de salles." in page and "120 familles" in page
    assert "Réorientation" in page and "Vers les pères." in page
    assert "Claire Coordinatrice" in page and "Colette Copil" in page
    # A pilot reads; the form is disabled and has no button.
    assert "Enregistrer la décision" not in page


def test_two_copil_members_deciding_at_once(client, plan, people, frozen):
    from django.test import Client

    other = Client()
    client.force_login(people.copil)
    other.force_login(people.coordinator)
    loaded = client.get(decision_url(plan, "2")).context["form"].initial
    other_loaded = other.get(decision_url(plan, "2")).context["form"].initial
    assert (
        other.post(
            decision_url(plan, "2"),
            {"kind": "stop", "reason": "Fin du financement.", **other_loaded},
        ).status_code
        == 302
    )
    response = client.post(
        decision_url(plan, "2"), {"kind": "strengthen", "reason": "Plus de familles.", **loaded}
    )
    assert response.status_code == 409
    page = text(response)
    assert "Une autre décision a été enregistrée" in page
    assert "« Arrêt » (Fin du financement.), par Claire Coordinatrice" in page
    assert Decision.objects.get().kind == KIND.STOP
    # Saving again, deliberately, replaces it.
    data = response.context["form"].data
    assert client.post(decision_url(plan, "2"), data).status_code == 302
    assert Decision.objects.get().kind == KIND.STRENGTHEN


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "kind", "Choisissez une décision."),
        ({"kind": "sometimes"}, "kind", "Sélectionnez un choix valide"),
        ({"kind": "stop"}, "reason", "Le motif est obligatoire pour la décision « Arrêt »."),
        ({"kind": "new_action", "reason": "R"}, "new_action_text", "Décrivez la nouvelle action"),
        (
            {"kind": "continue", "new_action_text": "Une action"},
            "new_action_text",
            "ne s’ajoute qu’avec la décision « Nouvelle action »",
        ),
        ({"kind": "stop", "reason": "x" * 5001}, "reason", "au plus 5000 caractères"),
    ],
)
def test_a_wrong_decision_is_refused_with_its_field(
    client, plan, people, frozen, data, field, message
):
    client.force_login(people.copil)
    loaded = client.get(decision_url(plan, "2")).context["form"].initial
    response = client.post(decision_url(plan, "2"), {**loaded, **data})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert "La décision n’est pas enregistrée" in text(response)
    assert not Decision.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"default_continue": "on"}, "Indiquez la date du COPIL."),
        ({"validated_on": "31/02/2025", "default_continue": "on"}, "Saisissez une date valide"),
        (
            {"validated_on": "2099-01-01", "default_continue": "on"},
            "ne peut pas être dans le futur",
        ),
        ({"validated_on": "2000-01-01", "default_continue": "on"}, "ne peut pas précéder le gel"),
        ({"validated_on": "today"}, "Des fiches n’ont pas de décision"),
    ],
)
def test_a_wrong_validation_is_refused_with_a_message(client, plan, people, frozen, data, message):
    client.force_login(people.copil)
    if data.get("validated_on") == "today":
        data = {**data, "validated_on": timezone.localdate().isoformat()}
    response = client.post(copil_url(plan, 1, "valider"), data, follow=True)
    assert message in text(response)
    assert "Évaluation non validée." in text(response)
    frozen.refresh_from_db()
    assert frozen.status == Campaign.Status.FROZEN and not Validation.objects.exists()


def test_an_erratum_through_the_page(client, plan, people, validated):
    client.force_login(people.coordinator)
    response = client.get(erratum_url(plan, "2"))
    assert response.status_code == 200
    assert "Taux d’avancement — actuellement : 60\u00a0%" in text(response)
    response = client.post(
        erratum_url(plan, "2"), {"key": "progress_rate", "value": "45", "reason": "Oubli."}
    )
    assert response.status_code == 400
    assert "« 45 » n’est pas un taux de l’échelle du contrat" in text(response)
    response = client.post(erratum_url(plan, "2"), {"key": "progress_rate", "value": "80"})
    assert response.status_code == 400
    assert "Le motif de la correction est obligatoire." in text(response)
    assert not Erratum.objects.exists()
    response = client.post(
        erratum_url(plan, "2"),
        {"key": "progress_rate", "value": "80", "reason": "Chiffre du bilan CAF."},
        follow=True,
    )
    page = text(response)
    assert (
        "Erratum enregistré pour la fiche n°2 : Taux d’avancement, « 60\u00a0% » → « 80\u00a0% »."
        in page
    )
    assert "Chiffre du bilan CAF." in page and "Claire Coordinatrice" in page


def test_the_dashboard_links_to_the_copil_once_frozen(client, plan, people, campaign):
    client.force_login(people.copil)
    assert "Examen par le COPIL" not in text(client.get(f"/plans/{plan.slug}/suivi/1/"))
    services.freeze_campaign(campaign)
    assert "Examen par le COPIL : décisions et validation" in text(
        client.get(f"/plans/{plan.slug}/suivi/1/")
    )


def test_an_open_campaign_has_nothing_to_review_yet(client, plan, people, campaign):
    client.force_login(people.copil)
    response = client.get(copil_url(plan))
    assert response.status_code == 200
    assert "La campagne est encore ouverte" in text(response)


def test_unfreezing_through_the_page(client, plan, people, frozen):
    client.force_login(people.coordinator)
    assert "Rouvrir la campagne" in text(client.get(copil_url(plan)))
    response = client.post(f"/plans/{plan.slug}/suivi/1/rouvrir/", follow=True)
    assert "est rouverte" in text(response)
    frozen.refresh_from_db()
    assert frozen.is_open


# --- Rights ---------------------------------------------------------------------------------------

# Every COPIL route, with what a permitted POST sends.
ROUTES = {
    "review": ("GET", lambda plan: copil_url(plan), {}),
    "decide": (
        "POST",
        lambda plan: decision_url(plan, "2"),
        {"kind": "continue", "loaded": "none"},
    ),
    "validate": (
        "POST",
        lambda plan: copil_url(plan, 1, "valider"),
        {"validated_on": "today", "default_continue": "on"},
    ),
    "unfreeze": ("POST", lambda plan: f"/plans/{plan.slug}/suivi/1/rouvrir/", {}),
}
# role → route → expected status (302 for a permitted POST).
EXPECTED = {
    "anonymous": {"review": "login", "decide": "login", "validate": "login", "unfreeze": "login"},
    # The factory's plans are published: an outsider is refused, not kept in the dark (below).
    "outsider": {"review": 403, "decide": 403, "validate": 403, "unfreeze": 403},
    "partner": {"review": 403, "decide": 403, "validate": 403, "unfreeze": 403},
    "caf_pilot": {"review": 200, "decide": 403, "validate": 403, "unfreeze": 403},
    "caf_copil": {"review": 200, "decide": 302, "validate": 302, "unfreeze": 403},
    "coordinator": {"review": 200, "decide": 302, "validate": 302, "unfreeze": 302},
    "admin": {"review": 200, "decide": 302, "validate": 302, "unfreeze": 302},
}


@pytest.mark.parametrize("who", list(EXPECTED))
@pytest.mark.parametrize("route", list(ROUTES))
def test_copil_rights(client, plan, people, frozen, who, route):
    method, url_of, data = ROUTES[route]
    if who != "anonymous":
        client.force_login(getattr(people, who))
    data = {k: (timezone.localdate().isoformat() if v == "today" else v) for k, v in data.items()}
    url = url_of(plan)
    response = client.get(url) if method == "GET" else client.post(url, data)
    expected = EXPECTED[who][route]
    if expected == "login":
        assert response.status_code == 302 and response["Location"].startswith("/comptes/login/")
    else:
        assert response.status_code == expected
    frozen.refresh_from_db()
    changed = {
        "decide": Decision.objects.exists(),
        "validate": frozen.status == Campaign.Status.VALIDATED,
        "unfreeze": frozen.status == Campaign.Status.OPEN,
    }.get(route, False)
    assert changed == (expected == 302)


@pytest.mark.parametrize("who", ["partner", "caf_pilot", "outsider"])
def test_erratum_rights(client, plan, people, validated, who):
    client.force_login(getattr(people, who))
    response = client.post(
        erratum_url(plan, "2"), {"key": "progress_rate", "value": "80", "reason": "R."}
    )
    assert response.status_code == 403
    assert not Erratum.objects.exists()


def test_an_unpublished_plans_copil_is_404_to_outsiders(client, plan, people, frozen):
    plan.published = False
    plan.save(update_fields=["published"])
    client.force_login(people.outsider)
    assert client.get(copil_url(plan)).status_code == 404
    assert client.get(decision_url(plan, "2")).status_code == 404
    assert client.get(copil_url(plan, 4)).status_code == 404
    client.logout()
    assert client.get(copil_url(plan)).status_code == 302


# --- Query counts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("n_extra", [0, 12])
def test_review_page_query_count_is_constant(client, django_assert_num_queries, n_extra):
    plan = build_carcassonne(n_extra)
    coordinator = member(plan, "coordinator")
    campaign = services.open_campaign(plan, 1, timezone.localdate() + timedelta(days=3))
    campaign = services.freeze_campaign(campaign)
    for fiche in plan.fiches.all():
        decide(campaign, fiche.number, KIND.CONTINUE, coordinator, reason="")
    client.force_login(coordinator)
    # plan, campaign, decisions, fiches, validation (errata are read once it is validated)
    with django_assert_num_queries(SIGNED_IN + 5):
        response = client.get(copil_url(plan))
    assert response.status_code == 200
    assert len(response.context["rows"]) == 3 + n_extra


def test_decision_page_query_count(client, django_assert_num_queries, plan, people, frozen):
    decide(frozen, "2", KIND.CONTINUE, people.coordinator, reason="")
    client.force_login(people.copil)
    # plan, campaign, report with its fiche, decision, history with its users
    with django_assert_num_queries(SIGNED_IN + MENU_GROUP_CHECK + 5):
        response = client.get(decision_url(plan, "2"))
    assert response.status_code == 200


def test_a_stopped_fiche_leaves_the_pages_of_later_years(client, plan, people, frozen):
    decide(frozen, "2", KIND.STOP, people.copil, reason="Relais par la CAF.")
    validate(frozen, people.copil)
    services.open_campaign(plan, 2, timezone.localdate() - timedelta(days=1))
    client.force_login(people.caf_pilot)
    dashboard = client.get(f"/plans/{plan.slug}/suivi/2/")
    assert [r.fiche.number for r in dashboard.context["rows"]] == ["1", "3"]
    assert client.get("/suivi/mes-fiches/").context["pending"] == []
    response = client.get(f"/plans/{plan.slug}/suivi/2/fiches/2/")
    assert response.status_code == 404
    assert not FicheReport.objects.filter(campaign__year=2, fiche__number="2").exists()
    # Year 1, before the stop, still shows it.
    assert client.get(f"/plans/{plan.slug}/suivi/1/fiches/2/").status_code == 200


def test_a_stopped_fiche_is_not_in_the_spreadsheet_of_later_years(client, plan, people, frozen):
    import io

    import openpyxl

    decide(frozen, "2", KIND.STOP, people.copil, reason="Relais par la CAF.")
    validate(frozen, people.copil)
    services.open_campaign(plan, 2, timezone.localdate() + timedelta(days=9))
    client.force_login(people.coordinator)
    response = client.get(f"/plans/{plan.slug}/suivi/2/tableur/telecharger/")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["Fiches"]
    assert [sheet.cell(r, 1).value for r in range(2, sheet.max_row + 1)] == ["1", "3"]


def test_the_api_answers_404_for_a_stopped_fiche(db):
    from tests.api.conftest import build_world

    world = build_world()
    fiche = world.plan.fiches.get(number="2")
    FicheFollowup.objects.create(plan=world.plan, fiche=fiche, stopped_year=1)
    FicheReport.objects.filter(campaign=world.campaign, fiche=fiche).delete()
    response = world.api("coordinator").get(world.report_url(2))
    assert response.status_code == 404
    assert "arrêtée par le COPIL après l’année 1" in response.json()["detail"]
    assert not FicheReport.objects.filter(campaign=world.campaign, fiche=fiche).exists()


def test_decisions_recorded_without_an_account_show(client, plan, people, frozen):
    # Decisions written by a command (the demo, an import) have no author.
    Decision.objects.create(
        plan=plan, campaign=frozen, fiche=plan.fiches.get(number="2"), kind="continue"
    )
    client.force_login(people.copil)
    response = client.get(decision_url(plan, "2"))
    assert response.status_code == 200
    assert "Poursuite" in text(response)
