"""The partnership's bodies (COPIL, working groups, commissions, citizen bodies), their members,
meetings, attendance (émargement), minutes and decisions."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.urls import reverse
from django.utils import timezone

from pilotis.core.history import Records


class AttachmentStorage(FileSystemStorage):
    """Outside the static files and with no public URL: files are served by a view that checks
    rights and sends them as attachments (views.attachment). The folder follows PILOTIS_VAR_DIR
    as it is when a file is read or written."""

    @property
    def base_location(self) -> str:
        return str(Path(settings.VAR_DIR) / "pieces-jointes")

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)


def attachments_storage() -> FileSystemStorage:
    return AttachmentStorage(base_url=None)


class Body(models.Model):
    class Kind(models.TextChoices):
        COPIL = "copil", "Comité de pilotage"
        EXTENDED_COPIL = "extended_copil", "Comité de pilotage élargi"
        TECHNICAL = "technical", "Comité technique"
        WORKING_GROUP = "working_group", "Groupe de travail"
        COMMISSION = "commission", "Commission"
        COORDINATION = "coordination", "Coordination"
        CITIZEN = "citizen", "Instance citoyenne"
        ASSEMBLY = "assembly", "Assemblée générale"
        BOARD = "board", "Bureau ou conseil d’administration"
        COLLEGE = "college", "Collège"
        OTHER = "other", "Autre instance"

    plan = models.ForeignKey("plans.Plan", on_delete=models.CASCADE, related_name="+")
    name = models.CharField("nom", max_length=200)
    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    role = models.TextField("rôle", max_length=3000, blank=True)
    frequency = models.CharField("fréquence des réunions", max_length=200, blank=True)
    source = models.CharField("source", max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    history = Records()

    class Meta:
        verbose_name = "instance"
        verbose_name_plural = "instances"
        ordering = ["plan", "position", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("governance:body", args=[self.plan.slug, self.pk])


class BodyMember(models.Model):
    """An organisation sitting in a body, with its named representative when one is given.

    The representative's name and professional e-mail are personal data: shown to the plan's
    members only, kept with the consent recorded, erased on request (docs/rgpd.md)."""

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="members")
    organisation = models.ForeignKey(
        "plans.Organisation",
        verbose_name="organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    label = models.CharField("membre (tel qu’écrit)", max_length=300)
    representative = models.CharField("représentant ou représentante", max_length=200, blank=True)
    function = models.CharField("fonction", max_length=200, blank=True)
    email = models.EmailField("courriel professionnel", blank=True)
    consent_on = models.DateField("consentement recueilli le", null=True, blank=True)

    history = Records()

    # Erased with the e-mail address by `pilotis personal_data erase` (docs/rgpd.md).
    PERSON_FIELDS = ("representative", "function", "consent_on")

    class Meta:
        verbose_name = "membre d’une instance"
        verbose_name_plural = "membres des instances"
        ordering = ["body", "label", "pk"]

    def __str__(self) -> str:
        return self.label


class Meeting(models.Model):
    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="meetings")
    starts_at = models.DateTimeField("date et heure")
    duration_minutes = models.PositiveSmallIntegerField("durée (minutes)", default=120)
    place = models.CharField("lieu", max_length=300, blank=True)
    agenda = models.TextField("ordre du jour", max_length=5000, blank=True)
    agenda_fiches = models.ManyToManyField(
        "plans.Fiche", verbose_name="fiches à l’ordre du jour", blank=True, related_name="+"
    )
    minutes = models.TextField("compte rendu", max_length=50_000, blank=True)
    published = models.BooleanField(
        "compte rendu public",
        default=False,
        help_text="Sinon, seuls les membres du plan lisent le compte rendu et l’émargement.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = Records()

    class Meta:
        verbose_name = "réunion"
        verbose_name_plural = "réunions"
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return f"{self.body} du {timezone.localtime(self.starts_at):%d/%m/%Y}"

    def get_absolute_url(self) -> str:
        return reverse("governance:meeting", args=[self.body.plan.slug, self.pk])

    @property
    def is_past(self) -> bool:
        return self.starts_at < timezone.now()


class Attendance(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", "Présent"
        EXCUSED = "excused", "Excusé"
        REPRESENTED = "represented", "Représenté"
        ABSENT = "absent", "Absent"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(BodyMember, on_delete=models.CASCADE, related_name="+")
    status = models.CharField("présence", max_length=12, choices=Status.choices)
    represented_by = models.CharField("représenté par", max_length=200, blank=True)

    history = Records()

    class Meta:
        verbose_name = "émargement"
        verbose_name_plural = "émargements"
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="attendance_once")
        ]

    def __str__(self) -> str:
        return f"{self.member} : {self.get_status_display()}"


class MeetingDecision(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="decisions")
    fiche = models.ForeignKey(
        "plans.Fiche",
        verbose_name="fiche concernée",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    text = models.TextField("décision", max_length=5000)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = Records()

    class Meta:
        verbose_name = "décision de réunion"
        verbose_name_plural = "décisions de réunion"
        ordering = ["meeting", "pk"]

    def __str__(self) -> str:
        return self.text[:80]


class Attachment(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(storage=attachments_storage, upload_to="reunions/%Y/")
    name = models.CharField("nom du fichier", max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "pièce jointe"
        verbose_name_plural = "pièces jointes"

    def __str__(self) -> str:
        return self.name


class Amendment(models.Model):
    """An avenant: a dated, approved set of changes to the plan. It bundles every change recorded
    in the plan's history since the previous avenant (or the signature) up to `recorded_at`,
    whether made in the editor, by re-import or carried over from the COPIL's decisions."""

    plan = models.ForeignKey("plans.Plan", on_delete=models.CASCADE, related_name="+")
    number = models.PositiveSmallIntegerField("numéro")
    title = models.CharField("objet", max_length=300)
    approved_on = models.DateField("approuvé le")
    body = models.ForeignKey(
        Body,
        verbose_name="instance qui l’a approuvé",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="amendments",
    )
    description = models.TextField("exposé des motifs", max_length=10_000, blank=True)
    recorded_at = models.DateTimeField("enregistré le", default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = Records()

    class Meta:
        verbose_name = "avenant"
        verbose_name_plural = "avenants"
        ordering = ["plan", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="amendment_number")]

    def __str__(self) -> str:
        return f"Avenant n°{self.number} — {self.title}"
