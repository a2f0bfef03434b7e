"""The plan model: territories, plans, their section tree, fiches and what hangs on them."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Greatest, Least
from django.urls import reverse

from pilotis.core.history import Records
from pilotis.core.text import fold


class Territory(models.Model):
    class Level(models.TextChoices):
        COMMUNE = "commune", "Commune"
        EPCI = "epci", "EPCI"
        DEPARTMENT = "department", "Département"
        REGION = "region", "Région"
        COUNTRY = "country", "France"
        PERIMETER = "perimeter", "Périmètre"

    level = models.CharField("niveau", max_length=16, choices=Level.choices)
    code = models.CharField("code INSEE ou SIREN", max_length=20, blank=True)
    name = models.CharField("nom", max_length=200)
    # Population as the last imported document states it, with that document's name: the
    # observatory will hold dated series; this is what the plan itself says.
    population = models.PositiveIntegerField("population", null=True, blank=True)
    population_source = models.CharField("source de la population", max_length=300, blank=True)
    # A perimeter (or an EPCI) is a set of communes; filled when an imported document lists them.
    communes = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="containers", verbose_name="communes"
    )

    class Meta:
        verbose_name = "territoire"
        constraints = [
            models.UniqueConstraint(fields=["level", "code", "name"], name="territory_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Plan(models.Model):
    class Kind(models.TextChoices):
        CLS = "cls", "Contrat local de santé"
        CPTS = "cpts", "Projet de santé de CPTS"
        PRS_SCHEME = "prs_scheme", "Schéma territorial de santé (PRS)"
        # A local health plan, a city health workshop (atelier santé ville)…
        OTHER = "other", "Autre plan (plan local de santé, atelier santé ville…)"

    slug = models.SlugField("identifiant", max_length=80, unique=True)
    kind = models.CharField("type", max_length=16, choices=Kind.choices)
    title = models.CharField("titre", max_length=300)
    signatories = models.JSONField("signataires", default=list, blank=True)
    signature_date = models.DateField("date de signature", null=True, blank=True)
    start_year = models.PositiveIntegerField("année 1 du contrat", null=True, blank=True)
    duration_years = models.PositiveSmallIntegerField("durée (années)", default=5)
    perimeter = models.ForeignKey(
        Territory, verbose_name="périmètre", null=True, blank=True, on_delete=models.PROTECT
    )
    levels = models.JSONField("noms des niveaux", default=list, blank=True)
    source_document = models.CharField("document source", max_length=300, blank=True)
    source_sha256 = models.CharField(max_length=64, blank=True)
    imported_at = models.DateTimeField("importé le", null=True, blank=True)
    # Plan-level structured data some formats carry (budget, governance, key figures…).
    extra = models.JSONField("autres données", default=dict, blank=True)
    # Unpublished plans are read by their members only; the coordinator publishes them.
    published = models.BooleanField("publié", default=False)
    # Imported by `seed_demo` to show Pilotis: labelled « démonstration » wherever it is listed.
    is_demo = models.BooleanField("plan de démonstration", default=False)
    published_at = models.DateTimeField("publié le", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="publié par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Bumped by every change the plan editor makes to the plan's own fields, its sections or its
    # organisations: a form posted with an older version is refused (someone changed it meanwhile).
    version = models.PositiveIntegerField("version", default=1, editable=False)

    history = Records(excluded_fields=["source_sha256"])

    class Meta:
        verbose_name = "plan"
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("plans:overview", args=[self.slug])

    @property
    def contract_years(self) -> list[tuple[int, int | None]]:
        """(contract year, calendar year) for each year of the plan."""
        return [
            (y, self.start_year + y - 1 if self.start_year else None)
            for y in range(1, self.duration_years + 1)
        ]

    def level_name(self, depth: int) -> str:
        return self.levels[depth] if depth < len(self.levels) else "Section"


class Provenance(models.Model):
    """Where an imported element comes from: the document and its line range."""

    source_first_line = models.PositiveIntegerField("première ligne", null=True, blank=True)
    source_last_line = models.PositiveIntegerField("dernière ligne", null=True, blank=True)

    class Meta:
        abstract = True


class Section(Provenance):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="sections")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    key = models.CharField(max_length=40)
    depth = models.PositiveSmallIntegerField(default=0)
    number = models.CharField("numéro", max_length=20, blank=True)
    title = models.TextField("titre")
    position = models.PositiveIntegerField(default=0)

    history = Records()

    class Meta:
        verbose_name = "section"
        ordering = ["plan", "position"]
        constraints = [models.UniqueConstraint(fields=["plan", "key"], name="section_key_unique")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}".strip()


class Organisation(models.Model):
    class Kind(models.TextChoices):
        STATE = "state", "État et agences (ARS, préfecture, Éducation nationale…)"
        SOCIAL_SECURITY = (
            "social_security",
            "Assurance maladie et sécurité sociale (CPAM, MSA, CAF…)",
        )
        LOCAL_AUTHORITY = "local_authority", "Collectivité territoriale"
        HOSPITAL = "hospital", "Établissement de santé ou médico-social"
        PROFESSIONALS = "professionals", "Professionnels de santé (CPTS, URPS, ordres, MSP…)"
        ASSOCIATION = "association", "Association"
        USERS = "users", "Représentants des usagers et habitants"
        EDUCATION = "education", "Enseignement et recherche"
        COMPANY = "company", "Entreprise"
        OTHER = "other", "Autre"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="organisations")
    key = models.SlugField(max_length=80)
    name = models.CharField("nom", max_length=300)
    acronym = models.CharField("sigle", max_length=40, blank=True)
    aliases = models.JSONField("graphies rencontrées", default=list, blank=True)
    kind = models.CharField("type", max_length=20, choices=Kind.choices, blank=True)
    # A professional contact point (a service's address or switchboard), never a person's own.
    contact_email = models.EmailField("courriel de contact", blank=True)
    contact_phone = models.CharField("téléphone de contact", max_length=30, blank=True)
    website = models.URLField("site internet", blank=True)

    history = Records()

    class Meta:
        verbose_name = "organisation"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "key"], name="organisation_key_unique")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("plans:organisation", args=[self.plan.slug, self.key])


class Programme(models.Model):
    """A programme a fiche contributes to (PRS, PRSE, CTG, PAT, PCAET…), shared across plans."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField("nom", max_length=200)

    class Meta:
        verbose_name = "programme"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FicheQuerySet(models.QuerySet):
    def search(self, query: str) -> "FicheQuerySet":
        """Accent- and case-insensitive search: every word of the query must appear."""
        qs = self
        for word in fold(query).split():
            qs = qs.filter(search_text__contains=word)
        return qs


class Fiche(Provenance):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="fiches")
    # RESTRICT: a section holding fiches cannot be deleted alone, but goes with its plan.
    section = models.ForeignKey(
        Section, null=True, blank=True, on_delete=models.RESTRICT, related_name="fiches"
    )
    number = models.CharField("numéro", max_length=20)
    position = models.PositiveIntegerField(default=0)
    title = models.TextField("intitulé")
    pilotage_label = models.CharField(
        "libellé du pilotage", max_length=20, default="pilotage", blank=True
    )
    context = models.TextField("contexte", blank=True)
    strategic_objective = models.TextField("objectif stratégique", blank=True)
    operational_objectives = models.JSONField("objectifs opérationnels", default=list, blank=True)
    public = models.TextField("public cible", blank=True)
    extra = models.JSONField("autres rubriques", default=dict, blank=True)
    review_flags = models.JSONField("points à vérifier", default=list, blank=True)
    linked_fiches = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="linked_from",
        through="FicheLink",
        through_fields=("from_fiche", "to_fiche"),
    )
    search_text = models.TextField(editable=False, blank=True)
    # Bumped by every change of the fiche's content (edit form, restore, import): a form posted
    # with an older version was filled in before someone else's change and is refused.
    version = models.PositiveIntegerField("version", default=1, editable=False)
    # An archived element leaves the current plan and later campaigns, but keeps its past reports
    # (a removal is refused once follow-up data hangs on it).
    archived = models.BooleanField("archivée", default=False)

    objects = FicheQuerySet.as_manager()
    # The search text is derived from the other fields: recording it would double the history.
    history = Records(excluded_fields=["search_text"])

    class Meta:
        verbose_name = "fiche action"
        verbose_name_plural = "fiches action"
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="fiche_number_unique")
        ]

    def __str__(self) -> str:
        return f"Fiche n°{self.number} — {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("plans:fiche", args=[self.plan.slug, self.number])


class FicheLink(models.Model):
    """A link between two fiches of one plan, as the document states it ("voir fiche 4").

    The table Django made for `Fiche.linked_fiches`, named as a model so that its rows have a
    history like the fiche's other parts.
    """

    from_fiche = models.ForeignKey(Fiche, on_delete=models.CASCADE, related_name="+")
    to_fiche = models.ForeignKey(
        Fiche, verbose_name="fiche liée", on_delete=models.CASCADE, related_name="+"
    )

    history = Records()

    class Meta:
        db_table = "plans_fiche_linked_fiches"
        verbose_name = "lien entre fiches"
        verbose_name_plural = "liens entre fiches"
        unique_together = [("from_fiche", "to_fiche")]

    def __str__(self) -> str:
        return f"{self.from_fiche_id} → {self.to_fiche_id}"


class FicheProgramme(models.Model):
    fiche = models.ForeignKey(Fiche, on_delete=models.CASCADE, related_name="programme_links")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="fiche_links")
    as_written = models.CharField("libellé d'origine", max_length=300)
    position = models.PositiveSmallIntegerField(default=0)

    history = Records()

    class Meta:
        ordering = ["fiche", "position"]

    def __str__(self) -> str:
        return self.as_written


class FicheRole(models.Model):
    class Role(models.TextChoices):
        PILOT = "pilot", "Pilote"
        COPILOT = "copilot", "Co-pilote"
        PARTNER = "partner", "Partenaire"

    fiche = models.ForeignKey(Fiche, on_delete=models.CASCADE, related_name="roles")
    # RESTRICT: an organisation named on a fiche cannot be deleted alone, but goes with its plan.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.RESTRICT, related_name="fiche_roles"
    )
    role = models.CharField("rôle", max_length=10, choices=Role.choices)
    as_written = models.CharField("libellé d'origine", max_length=300)
    position = models.PositiveSmallIntegerField(default=0)

    history = Records()

    class Meta:
        verbose_name = "rôle sur une fiche"
        ordering = ["fiche", "position"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} : {self.as_written}"


# The `extra` key of an action added after the signature (by a COPIL decision), saying where it
# comes from: shown under the action, and kept by a re-import of the signed document.
ACTION_ORIGIN_KEY = "origin"


class Action(Provenance):
    fiche = models.ForeignKey(Fiche, on_delete=models.CASCADE, related_name="actions")
    letter = models.CharField("lettre ou numéro", max_length=10)
    text = models.TextField("action")
    deadline_years = models.JSONField("échéance (années du contrat)", default=list, blank=True)
    deadline_as_written = models.CharField("échéance d'origine", max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    # Format-specific details kept as written (e.g. a CPTS calendar counted from its ACI contract).
    extra = models.JSONField("autres précisions", default=dict, blank=True)
    archived = models.BooleanField("archivée", default=False)

    history = Records()

    class Meta:
        verbose_name = "action"
        ordering = ["fiche", "position"]

    def __str__(self) -> str:
        return f"{self.letter}. {self.text[:60]}"

    def calendar_years(self, start_year: int | None) -> list[int]:
        if not start_year:
            return []
        return [start_year + y - 1 for y in self.deadline_years]


class FicheIndicator(Provenance):
    class Kind(models.TextChoices):
        RESULT = "result", "Indicateur de résultat"
        MONITORING = "monitoring", "Indicateur de suivi"

    fiche = models.ForeignKey(Fiche, on_delete=models.CASCADE, related_name="indicators")
    kind = models.CharField("type", max_length=12, choices=Kind.choices)
    action_letters = models.JSONField("actions visées", default=list, blank=True)
    text = models.TextField("indicateur")
    position = models.PositiveSmallIntegerField(default=0)
    archived = models.BooleanField("archivé", default=False)
    # The observatory's indicator that measures it on the plan's territory (named by its string:
    # plans imports nothing of the observatory; the observatory shows the trend on the fiche).
    observatory_indicator = models.ForeignKey(
        "observatory.Indicator",
        verbose_name="indicateur de l’observatoire",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="fiche_indicators",
    )

    history = Records()

    class Meta:
        verbose_name = "indicateur de fiche"
        ordering = ["fiche", "kind", "position"]

    def __str__(self) -> str:
        return self.text


class UnplacedLine(models.Model):
    """A source line of the last import that no field holds: the import report lists them."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="unplaced_lines")
    line = models.PositiveIntegerField()
    text = models.TextField()
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["plan", "line"]

    def __str__(self) -> str:
        return f"ligne {self.line} : {self.text}"


class CrossLink(models.Model):
    """A link between a fiche and a fiche (or a section) of another plan.

    Links read both ways: the fiche pages of both ends show them. `source_plan` and `target_plan`
    repeat the plans of the two ends so that a plan's links are found on an indexed key (the one
    rows would be sharded by) and so that the database itself refuses a link inside one plan.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposé"
        ACCEPTED = "accepted", "Accepté"
        REJECTED = "rejected", "Rejeté"

    class Origin(models.TextChoices):
        DOCUMENT = "document", "Indiqué par le document"
        SUGGESTION = "suggestion", "Proposé automatiquement"
        MANUAL = "manual", "Ajouté à la main"

    source_plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="cross_links_out", editable=False
    )
    source_fiche = models.ForeignKey(
        Fiche, verbose_name="fiche", on_delete=models.CASCADE, related_name="cross_links_out"
    )
    target_plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="cross_links_in", editable=False
    )
    target_fiche = models.ForeignKey(
        Fiche,
        verbose_name="fiche liée",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cross_links_in",
    )
    target_section = models.ForeignKey(
        Section,
        verbose_name="section liée",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cross_links_in",
    )
    status = models.CharField(
        "statut", max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    origin = models.CharField("origine", max_length=10, choices=Origin.choices)
    # Similarity of the two texts in [0, 1]; none for a link a person or the document made.
    score = models.FloatField("score", null=True, blank=True)
    reason = models.CharField("motif", max_length=300, blank=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    decided_at = models.DateTimeField("décidé le", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="décidé par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "lien entre plans"
        verbose_name_plural = "liens entre plans"
        ordering = ["-score", "pk"]
        constraints = [
            # A fiche, a section, or neither: then the link is to the other plan as a whole
            # ("accompagner les projets de santé des CPTS" links to a CPTS project).
            models.CheckConstraint(
                condition=~Q(target_fiche__isnull=False, target_section__isnull=False),
                name="crosslink_at_most_one_target",
            ),
            models.CheckConstraint(
                condition=~Q(source_plan=F("target_plan")), name="crosslink_across_plans"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=1),
                name="crosslink_score_range",
            ),
            # A link reads both ways: A → B and B → A are the same pair, stored once.
            models.UniqueConstraint(
                Least("source_fiche", "target_fiche"),
                Greatest("source_fiche", "target_fiche"),
                condition=Q(target_fiche__isnull=False),
                name="crosslink_fiche_pair_unique",
            ),
            models.UniqueConstraint(
                fields=["source_fiche", "target_section"],
                condition=Q(target_section__isnull=False),
                name="crosslink_section_unique",
            ),
            models.UniqueConstraint(
                fields=["source_fiche", "target_plan"],
                condition=Q(target_fiche__isnull=True, target_section__isnull=True),
                name="crosslink_whole_plan_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["source_plan", "status"], name="crosslink_source_plan"),
            models.Index(fields=["target_plan", "status"], name="crosslink_target_plan"),
        ]

    def __str__(self) -> str:
        target = (
            self.target_fiche_id
            or (self.target_section_id and f"section {self.target_section_id}")
            or f"plan {self.target_plan_id}"
        )
        return f"{self.source_fiche_id} ↔ {target} ({self.get_status_display()})"


class PlanSectionLink(Provenance):
    """A plan that declares it serves a section of another plan.

    E.g. a CLS serving the engagements of the regional health project: a statement of the whole
    contract, not of one of its fiches, hence a row of its own rather than a CrossLink. The line
    range is where the declaring plan's document says so.
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="served_sections")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="serving_plans")
    origin = models.CharField("origine", max_length=10, choices=CrossLink.Origin.choices)
    as_written = models.CharField("libellé d'origine", max_length=300, blank=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "section servie par un plan"
        verbose_name_plural = "sections servies par un plan"
        ordering = ["plan", "section__position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "section"], name="plan_section_link_unique")
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} → {self.section}"
