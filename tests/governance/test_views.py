"""Bodies, meetings, attendance, decisions, attachments and invitations through the pages."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from pilotis.accounts import roles
from pilotis.governance.models import Attachment, Attendance, Body, BodyMember, Meeting
from tests.factories import FicheFactory, OrganisationFactory, PlanFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan():
    return PlanFactory(slug="cls-instances")


@pytest.fixture
def coordinator(client, plan):
    user = UserFactory()
    roles.grant(user, plan, roles.Role.COORDINATOR)
    client.force_login(user)
    return user


def make_copil(plan):
    body = Body.objects.create(
        plan=plan, name="Comité de pilotage", kind="copil", frequency="1 à 2 fois par an"
    )
    ars = OrganisationFactory(plan=plan, name="ARS Occitanie", key="ars")
    BodyMember.objects.create(
        body=body,
        organisation=ars,
        label="ARS Occitanie",
        representative="Déléguée départementale",
        email="dd11@ars.example",
        consent_on=timezone.localdate(),
    )
    BodyMember.objects.create(body=body, label="CPAM de l’Aude")
    return body


def test_the_done_when_journey(client, plan, coordinator, smtp):
    """Issue 15: schedule the COPIL with fiches 2 and 18 on the agenda, record attendance and a
    decision on fiche 18."""
    fiche2, fiche18 = FicheFactory(plan=plan, number="2"), FicheFactory(plan=plan, number="18")
    body = make_copil(plan)
    response = client.post(
        f"/plans/{plan.slug}/instances/{body.pk}/reunions/ajouter/",
        {
            "starts_at": "14/03/2027 09:30",
            "duration_minutes": "120",
            "place": "Carcassonne",
            "agenda": "Bilan de l’année 2026",
            "agenda_fiches": [fiche2.pk, fiche18.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()
    meeting = Meeting.objects.get()
    assert timezone.localtime(meeting.starts_at).strftime("%d/%m/%Y %H:%M") == "14/03/2027 09:30"
    assert {f.number for f in meeting.agenda_fiches.all()} == {"2", "18"}

    client.post(f"/plans/{plan.slug}/reunions/{meeting.pk}/inviter/")
    invitation = smtp.only()
    assert invitation["To"] == "dd11@ars.example"
    assert "Fiche 18" in smtp.body(invitation)
    assert any(p.get_content_type() == "text/calendar" for p in invitation.iter_attachments())

    ars, cpam = BodyMember.objects.order_by("label")
    client.post(
        f"/plans/{plan.slug}/reunions/{meeting.pk}/emargement/",
        {
            f"status-{ars.pk}": "present",
            f"status-{cpam.pk}": "represented",
            f"by-{cpam.pk}": "CAF de l’Aude",
        },
    )
    assert {a.member.label: a.status for a in Attendance.objects.all()} == {
        "ARS Occitanie": "present",
        "CPAM de l’Aude": "represented",
    }
    client.post(
        f"/plans/{plan.slug}/reunions/{meeting.pk}/decisions/",
        {"decision-fiche": fiche18.pk, "decision-text": "Renforcer l’action B en 2027."},
    )
    page = client.get(f"/plans/{plan.slug}/decisions/").content.decode()
    assert "Renforcer l’action B en 2027." in page and "n°18" in page
    meeting_page = client.get(meeting.get_absolute_url()).content.decode()
    assert "Fiche n°2" in meeting_page and "Fiche n°18" in meeting_page


def test_represented_without_a_name_is_refused_and_nothing_recorded(client, plan, coordinator):
    body = make_copil(plan)
    meeting = Meeting.objects.create(body=body, starts_at=timezone.now())
    ars, cpam = BodyMember.objects.order_by("label")
    client.post(
        f"/plans/{plan.slug}/reunions/{meeting.pk}/emargement/",
        {f"status-{ars.pk}": "present", f"status-{cpam.pk}": "represented"},
    )
    assert not Attendance.objects.exists()


def test_a_representative_needs_consent(client, plan, coordinator):
    body = make_copil(plan)
    response = client.post(
        body.get_absolute_url(), {"member-label": "IREPS", "member-representative": "Jean Dupont"}
    )
    assert response.status_code == 400
    assert "consentement" in response.content.decode()


def upload(client, plan, meeting, data, name):
    file = io.BytesIO(data)
    file.name = name
    return client.post(
        f"/plans/{plan.slug}/reunions/{meeting.pk}/pieces/", {"file-file": file}, follow=True
    )


def test_attachments_checked_by_content_and_served_as_downloads(
    client, plan, coordinator, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    meeting = Meeting.objects.create(body=make_copil(plan), starts_at=timezone.now())
    refused = upload(client, plan, meeting, b"<script>alert(1)</script>", "cr.pdf")
    assert "n’est pas d’un type accepté" in refused.content.decode()
    assert not Attachment.objects.exists()
    upload(client, plan, meeting, b"%PDF-1.7 compte rendu", "../CR COPIL.html")
    attachment = Attachment.objects.get()
    assert attachment.name == "CR COPIL.pdf"
    assert str(tmp_path) in attachment.file.path  # stored outside the static files
    response = client.get(f"/plans/{plan.slug}/reunions/{meeting.pk}/pieces/{attachment.pk}/")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"%PDF-1.7 compte rendu"
    # The public reads the meeting but neither its attachments nor the representatives' names.
    client.logout()
    assert (
        client.get(f"/plans/{plan.slug}/reunions/{meeting.pk}/pieces/{attachment.pk}/").status_code
        == 404
    )
    public_page = client.get(meeting.body.get_absolute_url()).content.decode()
    assert "Déléguée départementale" not in public_page
    assert (
        client.get(f"/plans/{plan.slug}/reunions/{meeting.pk}/feuille-emargement/").status_code
        == 404
    )


def test_rights(client, plan):
    body = make_copil(plan)
    meeting = Meeting.objects.create(body=body, starts_at=timezone.now())
    hidden = PlanFactory(published=False)
    assert client.get(f"/plans/{plan.slug}/instances/").status_code == 200
    assert client.get(f"/plans/{hidden.slug}/instances/").status_code == 404
    for role, other in ((roles.Role.COORDINATOR, PlanFactory()), (roles.Role.COPIL, plan)):
        user = UserFactory()
        roles.grant(user, other, role)
        client.force_login(user)
        for url in (
            "instances/ajouter/",
            f"instances/{body.pk}/modifier/",
            f"reunions/{meeting.pk}/modifier/",
        ):
            assert client.get(f"/plans/{plan.slug}/{url}").status_code == 403, url
        for url in (
            f"reunions/{meeting.pk}/emargement/",
            f"reunions/{meeting.pk}/decisions/",
            f"reunions/{meeting.pk}/inviter/",
            f"instances/{body.pk}/",
        ):
            assert client.post(f"/plans/{plan.slug}/{url}").status_code == 403, url


def test_feed_lists_upcoming_meetings_only(client, plan):
    body = make_copil(plan)
    Meeting.objects.create(body=body, starts_at=timezone.now() + timedelta(days=10), place="Agglo")
    Meeting.objects.create(body=body, starts_at=timezone.now() - timedelta(days=10), place="Passé")
    response = client.get(f"/plans/{plan.slug}/reunions.ics")
    assert response["Content-Type"].startswith("text/calendar")
    text = response.content.decode()
    assert text.count("BEGIN:VEVENT") == 1 and "Agglo" in text
    assert "Déléguée" not in text
