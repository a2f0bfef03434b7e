"""The directory of health resources of a plan's territory, shaped like the national operational
directory (ROR): the structure, its offer, professional contact points, source and verification."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from pilotis.core.history import Records

# Fiche 53, action C of the Carcassonne CLS: the directories the territory asks for. Each plan
# gets this list on its first resource and edits it afterwards. (code, label, DSFR icon)
DEFAULT_CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("screening", "Dépistage", "fr-icon-search-line"),
    ("diabetes", "Prévention du diabète", "fr-icon-heart-pulse-line"),
    ("outreach", "Aller vers les personnes isolées et transport", "fr-icon-car-line"),
    ("carers", "Soutien aux aidants", "fr-icon-team-line"),
    ("respite", "Répit", "fr-icon-sun-line"),
    ("disability", "Handicap (structures, pairs, matériel adapté)", "fr-icon-wheelchair-line"),
    ("disability_admin", "Aide administrative (handicap)", "fr-icon-file-text-line"),
    ("housing", "Logement et alternatives à l’EHPAD", "fr-icon-home-4-line"),
    ("telemedicine", "Télémédecine", "fr-icon-computer-line"),
    ("mental_health", "Santé mentale", "fr-icon-chat-3-line"),
    ("sport", "Sport et activité physique", "fr-icon-bike-line"),
    ("practice", "Exercice coordonné (maisons de santé, MSU)", "fr-icon-hospital-line"),
)


class Public(models.TextChoices):
    EARLY_CHILDHOOD = "early_childhood", "Petite enfance"
    YOUTH = "youth", "Enfants et jeunes"
    FAMILIES = "families", "Parents et familles"
    ELDERLY = "elderly", "Personnes âgées"
    DISABILITY = "disability", "Personnes en situation de handicap"
    PRECARITY = "precarity", "Personnes en précarité"
    CARERS = "carers", "Aidants"
    PROFESSIONALS = "professionals", "Professionnels"
    EVERYONE = "everyone", "Tout public"


class Category(models.Model):
    plan = models.ForeignKey("plans.Plan", on_delete=models.CASCADE, related_name="+")
    code = models.SlugField("code", max_length=40)
    label = models.CharField("libellé", max_length=120)
    icon = models.CharField("pictogramme", max_length=60, default="fr-icon-info-line")
    position = models.PositiveSmallIntegerField(default=0)

    history = Records()

    class Meta:
        verbose_name = "catégorie du répertoire"
        verbose_name_plural = "catégories du répertoire"
        ordering = ["plan", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="directory_category_code")
        ]

    def __str__(self) -> str:
        return self.label


class ResourceQuerySet(models.QuerySet):
    def stale(self, months: int | None = None):
        """Entries not verified for `months` (PILOTIS_DIRECTORY_STALE_MONTHS by default)."""
        months = months or settings.DIRECTORY_STALE_MONTHS
        cutoff = timezone.localdate() - timedelta(days=round(months * 30.44))
        return self.filter(models.Q(verified_on__isnull=True) | models.Q(verified_on__lt=cutoff))


class Resource(models.Model):
    class Kind(models.TextChoices):
        STRUCTURE = "structure", "Structure"
        SERVICE = "service", "Service"
        SCHEME = "scheme", "Dispositif"
        EVENT = "event", "Événement"
        HELPLINE = "helpline", "Ligne d’écoute"
        PRACTICE = "practice", "Cabinet ou maison de santé"
        OTHER = "other", "Autre"

    plan = models.ForeignKey("plans.Plan", on_delete=models.CASCADE, related_name="+")
    # The structure.
    name = models.CharField("nom", max_length=300)
    kind = models.CharField("type", max_length=16, choices=Kind.choices, default=Kind.STRUCTURE)
    finess = models.CharField("n° FINESS", max_length=9, blank=True)
    siret = models.CharField("n° SIRET", max_length=14, blank=True)
    organisation = models.ForeignKey(
        "plans.Organisation",
        verbose_name="organisation du plan qui la porte",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The offer.
    description = models.TextField("description", max_length=5000, blank=True)
    categories = models.ManyToManyField(Category, verbose_name="catégories", blank=True)
    publics = models.JSONField("publics", default=list, blank=True)  # Public codes
    age_min = models.PositiveSmallIntegerField("âge minimum", null=True, blank=True)
    age_max = models.PositiveSmallIntegerField("âge maximum", null=True, blank=True)
    whole_perimeter = models.BooleanField("tout le territoire du plan", default=False)
    communes = models.JSONField("communes desservies", default=list, blank=True)
    opening_hours = models.TextField("horaires", max_length=2000, blank=True)
    conditions = models.TextField("conditions d’accès", max_length=2000, blank=True)
    cost = models.CharField("coût", max_length=300, blank=True)
    languages = models.CharField("langues", max_length=300, blank=True)
    accessibility = models.TextField("accessibilité", max_length=2000, blank=True)
    open_to_public = models.BooleanField("ouvert au public", default=True)
    # Professional contact points only (docs/rgpd.md): never a private person's details.
    address = models.CharField("adresse", max_length=300, blank=True)
    postcode = models.CharField("code postal", max_length=5, blank=True)
    city = models.CharField("commune", max_length=120, blank=True)
    phone = models.CharField("téléphone d’accueil", max_length=30, blank=True)
    email = models.EmailField("courriel de la structure", blank=True)
    website = models.URLField("site internet", blank=True)
    # What it serves, where it comes from.
    fiches = models.ManyToManyField(
        "plans.Fiche", verbose_name="fiches action servies", blank=True, related_name="+"
    )
    source = models.CharField("source", max_length=300, blank=True)
    source_row = models.CharField("ligne d’origine", max_length=60, blank=True)
    verified_on = models.DateField("vérifiée le", null=True, blank=True)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    # Folded words of the entry with "public:<code>" and "commune:<name>" tags: what the search
    # and the filters run on, the same way on SQLite and PostgreSQL (services.reindex).
    index_text = models.TextField(editable=False, blank=True)

    objects = ResourceQuerySet.as_manager()
    history = Records(excluded_fields=["index_text"])

    class Meta:
        verbose_name = "ressource"
        verbose_name_plural = "ressources"
        ordering = ["plan", "name", "pk"]
        indexes = [models.Index(fields=["plan", "name"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("directory:resource", args=[self.plan.slug, self.pk])

    @property
    def public_labels(self) -> list[str]:
        labels = dict(Public.choices)
        return [labels.get(code, code) for code in self.publics]

    @property
    def is_stale(self) -> bool:
        if self.verified_on is None:
            return True
        months = settings.DIRECTORY_STALE_MONTHS
        return self.verified_on < timezone.localdate() - timedelta(days=round(months * 30.44))


class VerificationRequest(models.Model):
    """A single-use link sent to the structure so it confirms or corrects its entry, no account."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="requests")
    token_hash = models.CharField(max_length=64, unique=True)
    sent_to = models.EmailField("envoyé à")
    sent_at = models.DateTimeField("envoyé le", auto_now_add=True)
    used_at = models.DateTimeField("utilisé le", null=True, blank=True)
    answer = models.CharField("réponse", max_length=20, blank=True)
    note = models.TextField("message de la structure", max_length=2000, blank=True)

    class Meta:
        verbose_name = "demande de vérification"
        verbose_name_plural = "demandes de vérification"

    def __str__(self) -> str:
        return f"Vérification de « {self.resource} » demandée à {self.sent_to}"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, resource: Resource, email: str) -> tuple[VerificationRequest, str]:
        token = secrets.token_urlsafe(32)
        request = cls.objects.create(resource=resource, token_hash=cls.hash(token), sent_to=email)
        return request, token

    @property
    def expired(self) -> bool:
        return self.sent_at < timezone.now() - timedelta(days=settings.DIRECTORY_LINK_DAYS)
