"""The yearly follow-up: a campaign per plan-year, a report per fiche, its actions, indicators."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from pilotis.core.history import Records
from pilotis.plans.models import Action, Fiche, FicheIndicator, Plan, Section

# The paper scale of the contract's follow-up table ("Tx d'avancement"); 0 is allowed.
PROGRESS_RATES = (0, 20, 40, 60, 80, 100)


class Campaign(models.Model):
    """The follow-up of one contract year of a plan: opened by the coordinator with a deadline."""

    class Status(models.TextChoices):
        OPEN = "open", "Ouverte"
        FROZEN = "frozen", "Figée"
        VALIDATED = "validated", "Validée"

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="campaigns", verbose_name="plan"
    )
    year = models.PositiveSmallIntegerField("année du contrat")
    deadline = models.DateField("date limite de saisie")
    status = models.CharField("statut", max_length=10, choices=Status.choices, default=Status.OPEN)
    allow_partial = models.BooleanField(
        "réponse « réalisé en partie » autorisée",
        default=False,
        help_text="Les pilotes peuvent répondre « En partie » pour une action, en plus de Oui "
        "et Non.",
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="ouverte par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    opened_at = models.DateTimeField("ouverte le", default=timezone.now)
    frozen_at = models.DateTimeField("figée le", null=True, blank=True)
    # What every report said when the campaign was frozen: the COPIL reviews this, not live data.
    snapshot = models.JSONField("instantané", default=dict, blank=True, editable=False)
    # Demonstration campaigns (`make demo`) are labelled wherever they show and never counted
    # with a real plan's figures.
    is_demo = models.BooleanField("données de démonstration", default=False)

    class Meta:
        verbose_name = "campagne de suivi"
        verbose_name_plural = "campagnes de suivi"
        ordering = ["plan", "year"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "year"], name="campaign_plan_year_unique"),
            models.CheckConstraint(condition=Q(year__gte=1), name="campaign_year_positive"),
        ]

    def __str__(self) -> str:
        return f"Suivi {self.year_label} — {self.plan}"

    def get_absolute_url(self) -> str:
        return reverse("followup:dashboard", args=[self.plan.slug, self.year])

    @property
    def calendar_year(self) -> int | None:
        """The calendar year of this contract year (year 1 = the plan's start year)."""
        start = self.plan.start_year
        return start + self.year - 1 if start else None

    @property
    def year_label(self) -> str:
        """E.g. « année 1 (2024) », or « année 1 » when the plan has no start year."""
        calendar = self.calendar_year
        return f"année {self.year} ({calendar})" if calendar else f"année {self.year}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class FicheReport(models.Model):
    """What a fiche's pilots say about one contract year: actions done, rate, indicators."""

    class Status(models.TextChoices):
        TO_DO = "to_do", "À faire"
        IN_PROGRESS = "in_progress", "En cours"
        SUBMITTED = "submitted", "Transmise"
        VALIDATED = "validated", "Validée par la coordination"

    class ProgressRate(models.IntegerChoices):
        ZERO = 0, "0\u00a0%"
        TWENTY = 20, "20\u00a0%"
        FORTY = 40, "40\u00a0%"
        SIXTY = 60, "60\u00a0%"
        EIGHTY = 80, "80\u00a0%"
        HUNDRED = 100, "100\u00a0%"

    # The shard key (DESIGN.md): follow-up rows are found by plan; always the campaign's plan.
    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="fiche_reports", editable=False
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="reports", verbose_name="campagne"
    )
    # RESTRICT: a fiche with a yearly report cannot be deleted alone (issue 3: never a silent
    # cascade of follow-up data), but goes with its plan.
    fiche = models.ForeignKey(
        Fiche, on_delete=models.RESTRICT, related_name="reports", verbose_name="fiche"
    )
    status = models.CharField("état", max_length=12, choices=Status.choices, default=Status.TO_DO)
    progress_rate = models.PositiveSmallIntegerField(
        "taux d'avancement", choices=ProgressRate.choices, null=True, blank=True
    )
    objective_reached = models.BooleanField("atteinte de l'objectif", null=True, blank=True)
    obstacles = models.TextField("difficultés rencontrées", blank=True)
    comment = models.TextField("commentaire", blank=True)
    # Optimistic concurrency: bumped by every save; a form posted with an older one is refused.
    version = models.PositiveIntegerField("version", default=1, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="mise à jour par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Null until someone saves the report: creation when the campaign opens is not an update.
    updated_at = models.DateTimeField("mise à jour le", null=True, blank=True)
    submitted_at = models.DateTimeField("transmise le", null=True, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="validée par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    validated_at = models.DateTimeField("validée le", null=True, blank=True)

    # Issue 3: every change of follow-up data, with who, when, before and after; shown on the
    # fiche's history page (followup.history).
    history = Records()

    class Meta:
        verbose_name = "suivi d'une fiche"
        verbose_name_plural = "suivis des fiches"
        # No join in the default order: reports are created in the fiches' order anyway.
        ordering = ["campaign", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "fiche"], name="fichereport_campaign_fiche_unique"
            ),
            models.CheckConstraint(
                condition=Q(progress_rate__isnull=True) | Q(progress_rate__in=PROGRESS_RATES),
                name="fichereport_progress_rate_scale",
            ),
        ]
        indexes = [models.Index(fields=["plan", "status"], name="fichereport_plan_status")]

    def __str__(self) -> str:
        return f"Fiche n°{self.fiche.number} — {self.campaign}"

    @property
    def is_done(self) -> bool:
        """Transmitted or validated: nothing more is expected from the pilots."""
        return self.status in (self.Status.SUBMITTED, self.Status.VALIDATED)


class ActionStatus(models.Model):
    """Whether an action due this year was carried out, with the pilots' comment."""

    class Done(models.TextChoices):
        YES = "yes", "Oui"
        NO = "no", "Non"
        PARTLY = "partly", "En partie"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+", editable=False)
    report = models.ForeignKey(
        FicheReport, on_delete=models.CASCADE, related_name="action_statuses"
    )
    # RESTRICT, as for the fiche: a recorded yearly status keeps its action.
    action = models.ForeignKey(
        Action, on_delete=models.RESTRICT, related_name="statuses", verbose_name="action"
    )
    # Empty: not answered yet (a draft may leave it so; a transmitted report may not).
    done = models.CharField("réalisée", max_length=8, choices=Done.choices, blank=True)
    comment = models.TextField("commentaire", blank=True)

    history = Records()

    class Meta:
        verbose_name = "réalisation d'une action"
        verbose_name_plural = "réalisations des actions"
        ordering = ["report", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "action"], name="actionstatus_report_action_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.action.letter} : {self.get_done_display() or 'non renseigné'}"


class IndicatorValue(models.Model):
    """The value of one fiche indicator for the year: a number with its unit, or a text."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+", editable=False)
    report = models.ForeignKey(
        FicheReport, on_delete=models.CASCADE, related_name="indicator_values"
    )
    indicator = models.ForeignKey(
        FicheIndicator,
        on_delete=models.RESTRICT,
        related_name="values",
        verbose_name="indicateur",
    )
    value_number = models.DecimalField(
        "valeur (nombre)", max_digits=18, decimal_places=4, null=True, blank=True
    )
    value_text = models.TextField("valeur (texte)", blank=True)
    unit = models.CharField("unité", max_length=40, blank=True)
    baseline = models.CharField("valeur de référence", max_length=200, blank=True)
    target = models.CharField("cible", max_length=200, blank=True)

    history = Records()

    class Meta:
        verbose_name = "valeur d'indicateur"
        verbose_name_plural = "valeurs d'indicateurs"
        ordering = ["report", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "indicator"], name="indicatorvalue_report_indicator_unique"
            ),
            # A number or a text, never both: roll-ups must know which one to read.
            models.CheckConstraint(
                condition=Q(value_number__isnull=True) | Q(value_text=""),
                name="indicatorvalue_number_or_text",
            ),
        ]

    def __str__(self) -> str:
        if self.value_number is not None:
            return f"{self.value_number} {self.unit}".strip()
        return self.value_text


class Decision(models.Model):
    """The COPIL's current decision on one fiche after reviewing a frozen campaign.

    One row per fiche and campaign: a change of mind replaces it in place and the history keeps
    every earlier version, with who changed it and when. Carried over to the plan (new action,
    stopped fiche) when the COPIL validates the annual evaluation, not before: until then the
    decision may still change.
    """

    class Kind(models.TextChoices):
        CONTINUE = "continue", "Poursuite"
        STRENGTHEN = "strengthen", "Renforcement"
        REORIENT = "reorient", "Réorientation"
        STOP = "stop", "Arrêt"
        NEW_ACTION = "new_action", "Nouvelle action"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+", editable=False)
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="decisions", verbose_name="campagne"
    )
    fiche = models.ForeignKey(
        Fiche, on_delete=models.RESTRICT, related_name="copil_decisions", verbose_name="fiche"
    )
    kind = models.CharField("décision", max_length=12, choices=Kind.choices)
    # Optional for « Poursuite » only: the other decisions change the fiche's course and say why
    # (forms_copil.DecisionForm).
    reason = models.TextField("motif", blank=True)
    new_action_text = models.TextField("nouvelle action", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="décidée par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField("enregistrée le", default=timezone.now)
    # The action a « Nouvelle action » decision added to the fiche once validated.
    carried_action = models.ForeignKey(
        Action,
        verbose_name="action créée",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    history = Records()

    class Meta:
        verbose_name = "décision du COPIL"
        verbose_name_plural = "décisions du COPIL"
        ordering = ["campaign", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "fiche"], name="decision_campaign_fiche"),
            models.CheckConstraint(
                condition=~Q(kind="new_action") | ~Q(new_action_text=""),
                name="decision_new_action_has_text",
            ),
        ]
        indexes = [models.Index(fields=["plan", "kind"], name="decision_plan_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — fiche n°{self.fiche.number}"


class Validation(models.Model):
    """The COPIL's validation of a campaign's annual evaluation: the year is closed after it."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+", editable=False)
    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, related_name="validation", verbose_name="campagne"
    )
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="validée par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The day of the COPIL meeting, as typed: the record may be entered days later.
    validated_on = models.DateField("date du COPIL")
    recorded_at = models.DateTimeField("enregistrée le", default=timezone.now)
    comment = models.TextField("commentaire", blank=True)

    class Meta:
        verbose_name = "validation de l'évaluation annuelle"
        verbose_name_plural = "validations des évaluations annuelles"

    def __str__(self) -> str:
        return f"Validation du {self.validated_on:%d/%m/%Y} — {self.campaign}"


class Erratum(models.Model):
    """A recorded correction of a validated year: what changed, from what to what, and why.

    A validated campaign is never edited silently: the correction is applied to its snapshot (and
    to the stored report) by services.record_erratum, and this row is the trail shown with it.
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+", editable=False)
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="errata", verbose_name="campagne"
    )
    # Empty for a correction of the campaign itself (the COPIL date, the validation comment).
    fiche = models.ForeignKey(
        Fiche,
        on_delete=models.RESTRICT,
        related_name="errata",
        verbose_name="fiche",
        null=True,
        blank=True,
    )
    # A stable key of the corrected value ("progress_rate", "action:B:done", "indicator:12:value"…)
    # and its French label as shown when recorded.
    field = models.CharField("donnée corrigée", max_length=60)
    field_label = models.CharField("libellé de la donnée", max_length=300)
    before = models.TextField("valeur avant", blank=True)
    after = models.TextField("valeur après", blank=True)
    reason = models.TextField("motif")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="enregistré par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("enregistré le", default=timezone.now)

    class Meta:
        verbose_name = "erratum"
        verbose_name_plural = "errata"
        ordering = ["campaign", "created_at", "pk"]
        indexes = [models.Index(fields=["plan", "campaign"], name="erratum_plan_campaign")]

    def __str__(self) -> str:
        return f"Erratum : {self.field_label} — {self.campaign}"


class FicheFollowup(models.Model):
    """Follow-up settings of a fiche across the years: its weight and the year the COPIL stopped it.

    Kept here rather than on Fiche: they belong to the follow-up, which the plans app knows
    nothing of. A fiche without a row has weight 1 and is never stopped.
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+", editable=False)
    fiche = models.OneToOneField(
        Fiche, on_delete=models.CASCADE, related_name="followup", verbose_name="fiche"
    )
    # Weight in the roll-ups (docs/roll-ups.md); equal weights by default.
    weight = models.DecimalField("pondération", max_digits=8, decimal_places=4, default=1)
    # Contract year whose COPIL decided the stop: the fiche counts that year, not after
    # (rollups.FicheInput.stopped_year), and later campaigns expect nothing from it.
    stopped_year = models.PositiveSmallIntegerField("arrêtée après l'année", null=True, blank=True)
    stopped_by = models.ForeignKey(
        Decision,
        verbose_name="décision d'arrêt",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    history = Records()

    class Meta:
        verbose_name = "suivi pluriannuel d'une fiche"
        verbose_name_plural = "suivis pluriannuels des fiches"
        constraints = [
            models.CheckConstraint(condition=Q(weight__gte=0), name="fichefollowup_weight_positive")
        ]

    def __str__(self) -> str:
        return f"Suivi pluriannuel — fiche n°{self.fiche.number}"


class SectionFollowup(models.Model):
    """The weight of a section (ambition, objective…) in the roll-ups of the sections above it.

    Kept here for the same reason as FicheFollowup; a section without a row has weight 1.
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+", editable=False)
    section = models.OneToOneField(
        Section, on_delete=models.CASCADE, related_name="followup", verbose_name="section"
    )
    # Multiplies its fiches' weights above it, not in its own rate (docs/roll-ups.md).
    weight = models.DecimalField("pondération", max_digits=8, decimal_places=4, default=1)

    history = Records()

    class Meta:
        verbose_name = "pondération d'une section"
        verbose_name_plural = "pondérations des sections"
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=0), name="sectionfollowup_weight_positive"
            )
        ]

    def __str__(self) -> str:
        return f"Pondération — section {self.section}"
