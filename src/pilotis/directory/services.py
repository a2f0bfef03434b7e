"""The directory's writes and searches: categories per plan, imports in one transaction, filters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from pilotis.core.text import fold
from pilotis.directory.models import DEFAULT_CATEGORIES, Category, Public, Resource
from pilotis.directory.tabular import ResourceRow, RowError
from pilotis.plans.models import Fiche, Plan

SCALAR_FIELDS = (
    "kind",
    "finess",
    "siret",
    "description",
    "age_min",
    "age_max",
    "whole_perimeter",
    "opening_hours",
    "conditions",
    "cost",
    "languages",
    "accessibility",
    "open_to_public",
    "address",
    "postcode",
    "city",
    "phone",
    "email",
    "website",
    "source",
    "verified_on",
)


def categories(plan: Plan) -> list[Category]:
    """The plan's categories, created from fiche 53 C's list the first time they are asked for."""
    found = list(Category.objects.filter(plan=plan))
    if found:
        return found
    with transaction.atomic():
        Category.objects.bulk_create(
            [
                Category(plan=plan, code=code, label=label, icon=icon, position=position)
                for position, (code, label, icon) in enumerate(DEFAULT_CATEGORIES)
            ],
            ignore_conflicts=True,
        )
    return list(Category.objects.filter(plan=plan))


@dataclass
class Filters:
    q: str = ""
    category: str = ""
    public: str = ""
    commune: str = ""
    open_only: bool = False
    recent_only: bool = False

    @classmethod
    def from_query(cls, params) -> Filters:
        def text(name: str) -> str:
            return params.get(name, "").replace("\x00", "").strip()[:200]

        return cls(
            q=text("q"),
            category=text("categorie"),
            public=text("public"),
            commune=text("commune"),
            open_only=params.get("ouvert") == "1",
            recent_only=params.get("verifie") == "1",
        )

    @property
    def active(self) -> bool:
        return any(
            (self.q, self.category, self.public, self.commune, self.open_only, self.recent_only)
        )


def search(plan: Plan, filters: Filters) -> QuerySet[Resource]:
    """The plan's resources matching every filter (the commune: served there or everywhere)."""
    qs = Resource.objects.filter(plan=plan)
    if filters.q:
        for word in fold(filters.q).split():
            qs = qs.filter(index_text__contains=word)
    if filters.category:
        qs = qs.filter(categories__code=filters.category)
    if filters.public in Public.values:
        qs = qs.filter(index_text__contains=f" public:{filters.public} ")
    if filters.commune:
        qs = qs.filter(
            Q(whole_perimeter=True) | Q(index_text__contains=f" commune:{tag(filters.commune)} ")
        )
    if filters.open_only:
        qs = qs.filter(open_to_public=True)
    if filters.recent_only:
        qs = qs.filter(verified_on__gte=timezone.localdate() - timedelta(days=365))
    return qs.distinct().order_by("name", "pk")


def tag(text: str) -> str:
    """A commune name or code as one token: "Saint Hilaire" → "saint-hilaire"."""
    return fold(text).replace(" ", "-")


def reindex(resource: Resource) -> None:
    """Recompute the search text after the entry or its categories changed (one UPDATE)."""
    words = [
        resource.name,
        resource.description,
        resource.city,
        resource.get_kind_display(),
        resource.conditions,
        *(c.label for c in resource.categories.all()),
        *resource.public_labels,
        *resource.communes,
    ]
    tags = [f"public:{code}" for code in resource.publics]
    tags += [f"commune:{tag(name)}" for name in [*resource.communes, resource.city] if name]
    text = " " + " ".join([fold(" ".join(w for w in words if w)), *tags]) + " "
    if text != resource.index_text:
        resource.index_text = text
        Resource.objects.filter(pk=resource.pk).update(index_text=text)


@dataclass
class ImportOutcome:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


def resolve(plan: Plan, rows: list[ResourceRow]) -> list[RowError]:
    """Problems only the plan can tell: unknown categories and fiche numbers."""
    codes = {fold(c.label): c for c in categories(plan)} | {c.code: c for c in categories(plan)}
    numbers = set(Fiche.objects.filter(plan=plan).values_list("number", flat=True))
    publics = {fold(label): code for code, label in Public.choices} | {
        code: code for code in Public.values
    }
    errors = []
    for row in rows:
        for label in row.values.get("categories", []):
            if fold(label) not in codes:
                known = ", ".join(sorted(c.label for c in categories(plan)))
                errors.append(
                    RowError(
                        f"{row.where}, colonne « Catégories »",
                        f"catégorie « {label} » inconnue (catégories du plan : {known})",
                    )
                )
        for label in row.values.get("publics", []):
            if fold(label) not in publics:
                errors.append(
                    RowError(
                        f"{row.where}, colonne « Publics »",
                        f"public « {label} » inconnu (publics : "
                        + ", ".join(label for _c, label in Public.choices)
                        + ")",
                    )
                )
        for number in row.values.get("fiches", []):
            if number not in numbers:
                errors.append(
                    RowError(
                        f"{row.where}, colonne « Fiches »", f"le plan n’a pas de fiche n°{number}"
                    )
                )
        kind = row.values.get("kind")
        if kind and kind not in Resource.Kind.values:
            labels = {fold(label): code for code, label in Resource.Kind.choices}
            if fold(str(kind)) in labels:
                row.values["kind"] = labels[fold(str(kind))]
            else:
                errors.append(
                    RowError(
                        f"{row.where}, colonne « Type »",
                        f"type « {kind} » inconnu (types : "
                        + ", ".join(label for _c, label in Resource.Kind.choices)
                        + ")",
                    )
                )
    return errors


@transaction.atomic
def apply_rows(plan: Plan, rows: list[ResourceRow], user, filename: str) -> ImportOutcome:
    """Create or update every row, all or nothing. A row is the same resource as a stored one
    when its FINESS number, else its name and commune, match."""
    outcome = ImportOutcome(errors=resolve(plan, rows))
    if outcome.errors:
        return outcome
    category_of = {fold(c.label): c for c in categories(plan)} | {
        c.code: c for c in categories(plan)
    }
    public_of = {fold(label): code for code, label in Public.choices} | {
        code: code for code in Public.values
    }
    fiche_of = {f.number: f for f in Fiche.objects.filter(plan=plan)}
    stored = list(Resource.objects.filter(plan=plan))
    by_finess = {r.finess: r for r in stored if r.finess}
    by_name = {(fold(r.name), fold(r.city)): r for r in stored}
    reason = f"Import du répertoire ({filename})"
    for row in rows:
        values = row.values
        resource = by_finess.get(values.get("finess") or "") or by_name.get(
            (fold(row.name), fold(str(values.get("city", ""))))
        )
        created = resource is None
        if created:
            resource = Resource(plan=plan, name=row.name)
        before = _snapshot(resource)
        resource.name = row.name
        for name in SCALAR_FIELDS:
            if name in values and values[name] is not None:
                setattr(resource, name, values[name])
            elif name in values and name in ("age_min", "age_max", "verified_on"):
                setattr(resource, name, None)
        if "publics" in values:
            resource.publics = [public_of[fold(p)] for p in values["publics"]]
        if "communes" in values:
            resource.communes = values["communes"]
        resource.source = resource.source or f"Import {filename}"
        resource.source_row = row.where
        changed = created or _snapshot(resource) != before
        if changed:
            if not created:
                resource.version += 1
            save(resource, user, reason)
        if "categories" in values:
            wanted = {category_of[fold(c)].pk for c in values["categories"]}
            if set(resource.categories.values_list("pk", flat=True)) != wanted:
                resource.categories.set(wanted)
                changed = True
        if "fiches" in values:
            wanted = {fiche_of[n].pk for n in values["fiches"]}
            if set(resource.fiches.values_list("pk", flat=True)) != wanted:
                resource.fiches.set(wanted)
                changed = True
        reindex(resource)
        if created:
            outcome.created.append(resource.name)
        elif changed:
            outcome.updated.append(resource.name)
        else:
            outcome.unchanged += 1
    return outcome


def save(resource: Resource, user, reason: str) -> None:
    """Save with its author and reason in the history (a command or import names no request)."""
    resource._history_user = user if getattr(user, "is_authenticated", False) else None
    resource._change_reason = reason
    resource.save()


def _snapshot(resource: Resource) -> tuple:
    return (
        resource.name,
        *(getattr(resource, name) for name in SCALAR_FIELDS),
        tuple(resource.publics),
        tuple(resource.communes),
    )


def as_record(resource: Resource) -> dict[str, object]:
    """A resource as the spreadsheet writers take it (see tabular.COLUMNS)."""
    record: dict[str, object] = {name: getattr(resource, name) for name in SCALAR_FIELDS}
    record["kind"] = resource.get_kind_display()
    record["name"] = resource.name
    record["categories"] = [c.label for c in resource.categories.all()]
    record["publics"] = resource.public_labels
    record["communes"] = resource.communes
    record["fiches"] = [f.number for f in resource.fiches.all()]
    return record


def send_verification(resource: Resource, email: str, link: str) -> None:
    EmailMessage(
        subject=f"Pouvez-vous vérifier la fiche « {resource.name} » ?",
        body=(
            "Bonjour,\n\n"
            f"Le répertoire des ressources de santé du « {resource.plan.title} » présente "
            f"votre structure, « {resource.name} ». Pour que les habitants et les "
            "professionnels trouvent des informations justes, pouvez-vous vérifier la fiche "
            "et nous dire si elle est exacte ou ce qu’il faut corriger ?\n\n"
            f"{link}\n\n"
            f"Ce lien ne sert qu’une fois et reste valable {settings.DIRECTORY_LINK_DAYS} jours. "
            "Aucun compte n’est nécessaire.\n\n"
            "Merci,\nLa coordination du contrat"
        ),
        to=[email],
    ).send()
