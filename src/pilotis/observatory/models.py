"""The observatory's data: territories (French geography and plan perimeters), the indicator
dictionary, observations with their provenance, and the remembered shapes of imported files."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Territory(models.Model):
    """A commune, EPCI, department, region, France, or a perimeter (a set of communes)."""

    class Level(models.TextChoices):
        COMMUNE = "commune", "Commune"
        EPCI = "epci", "EPCI"
        DEPARTMENT = "department", "Département"
        REGION = "region", "Région"
        COUNTRY = "country", "France"
        PERIMETER = "perimeter", "Périmètre"

    level = models.CharField("niveau", max_length=16, choices=Level.choices)
    # INSEE code (commune, department, region) or SIREN (EPCI), as text: "2A004", "09".
    code = models.CharField("code", max_length=20)
    name = models.CharField("nom", max_length=200)
    population = models.PositiveIntegerField("population municipale", null=True, blank=True)
    area_km2 = models.FloatField("superficie calculée (km²)", null=True, blank=True)
    epci_code = models.CharField("code de l’EPCI", max_length=20, blank=True, db_index=True)
    department_code = models.CharField("code du département", max_length=3, blank=True)
    region_code = models.CharField("code de la région", max_length=3, blank=True)
    commune_count = models.PositiveIntegerField("nombre de communes", default=0)
    # False when only some of its communes are loaded: its shape is partial.
    complete = models.BooleanField("toutes ses communes sont chargées", default=True)
    geometry = models.TextField("contour simplifié (GeoJSON)", blank=True)
    source = models.CharField("source", max_length=300, blank=True)
    # A perimeter's communes (other levels know theirs through the codes above).
    members = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="perimeters", verbose_name="communes"
    )

    class Meta:
        verbose_name = "territoire de l’observatoire"
        verbose_name_plural = "territoires de l’observatoire"
        ordering = ["level", "code"]
        constraints = [
            models.UniqueConstraint(fields=["level", "code"], name="obs_territory_level_code")
        ]
        indexes = [
            models.Index(fields=["level", "department_code"]),
            models.Index(fields=["level", "region_code"]),
        ]

    def __str__(self) -> str:
        if self.level in (self.Level.COMMUNE, self.Level.DEPARTMENT):
            return f"{self.name} ({self.code})"
        return self.name


class PlanPerimeter(models.Model):
    """The territory a plan acts on (an EPCI, a department, or a perimeter of communes)."""

    plan = models.OneToOneField(
        "plans.Plan", on_delete=models.CASCADE, related_name="observatory_perimeter"
    )
    territory = models.ForeignKey(Territory, on_delete=models.PROTECT, related_name="plans")
    # How it was found: "EPCI reconnu par son nom", "communes listées par le document"…
    basis = models.CharField("fondement", max_length=300, blank=True)

    class Meta:
        verbose_name = "périmètre d’un plan"

    def __str__(self) -> str:
        return f"{self.plan} : {self.territory}"


class Indicator(models.Model):
    class Polarity(models.TextChoices):
        HIGHER_BETTER = "higher_better", "Plus c’est haut, mieux c’est"
        LOWER_BETTER = "lower_better", "Plus c’est bas, mieux c’est"
        NEUTRAL = "neutral", "Ni mieux ni moins bien"

    class Aggregation(models.TextChoices):
        SUM = "sum", "Somme (effectifs)"
        RATIO = "ratio", "Rapport des numérateurs et dénominateurs sommés"
        WEIGHTED_MEAN = "weighted_mean", "Moyenne pondérée par la population"
        NONE = "none", "Non agrégeable"

    code = models.SlugField("code", max_length=60, unique=True)
    label = models.CharField("libellé", max_length=200)
    definition = models.TextField("définition", blank=True)
    unit = models.CharField("unité", max_length=40, blank=True)
    # A rate is numerator / denominator × scale (100 for %, 1000 for ‰, 100 000…).
    scale = models.FloatField("multiplicateur d’un taux", default=1)
    source = models.CharField("source", max_length=300, blank=True)
    producer = models.CharField("producteur", max_length=200, blank=True)
    polarity = models.CharField("polarité", max_length=16, choices=Polarity.choices)
    aggregation = models.CharField("agrégation", max_length=16, choices=Aggregation.choices)
    levels = models.JSONField("niveaux disponibles", default=list, blank=True)
    theme = models.CharField("thème", max_length=40, blank=True)
    min_value = models.FloatField("valeur minimale admise", null=True, blank=True)
    max_value = models.FloatField("valeur maximale admise", null=True, blank=True)
    # A value resting on fewer cases than the secrecy threshold is not shown for a commune.
    counts_cases = models.BooleanField("repose sur des effectifs", default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "indicateur de l’observatoire"
        verbose_name_plural = "indicateurs de l’observatoire"
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.label


class ImportBatch(models.Model):
    """One imported file (or one transcribed document): what every observation points back to."""

    file_name = models.CharField("fichier", max_length=300)
    sha256 = models.CharField(max_length=64, blank=True)
    source = models.CharField("source", max_length=300, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField("déposé le", auto_now_add=True)
    # The file as uploaded: kept while its mapping is being confirmed, and as provenance after.
    data = models.BinaryField("contenu", blank=True, default=b"")
    applied = models.BooleanField("appliqué", default=False)
    observation_count = models.PositiveIntegerField("observations", default=0)

    class Meta:
        verbose_name = "import de l’observatoire"

    def __str__(self) -> str:
        return self.file_name


class Observation(models.Model):
    """A value of an indicator for a territory and a period, with where it comes from."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="observations")
    # The key observations would be sharded by (DESIGN.md, Scale): queries filter on it.
    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="observations")
    period = models.CharField("période", max_length=20)
    value = models.FloatField("valeur", null=True, blank=True)
    numerator = models.FloatField("numérateur", null=True, blank=True)
    denominator = models.FloatField("dénominateur", null=True, blank=True)
    source = models.CharField("source", max_length=300)
    # Where the value was read: "apl.xlsx, feuille 2021, ligne 12, colonne D" or
    # "000_….txt, ligne 772".
    provenance = models.CharField("provenance", max_length=300)
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.CASCADE, related_name="observations"
    )

    class Meta:
        verbose_name = "observation"
        indexes = [models.Index(fields=["indicator", "period", "territory"])]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.territory_id} {self.period} = {self.value}"


class FileShape(models.Model):
    """The column mapping a user confirmed for a file layout, reused for the next file like it."""

    signature = models.CharField(max_length=64, unique=True)
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    saved_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "forme de fichier mémorisée"

    def __str__(self) -> str:
        return ", ".join(self.headers)
