"""Avenants: record one, merge two fiches, and the versions of the plan they delimit."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max

from pilotis.governance import versions
from pilotis.governance.models import Amendment
from pilotis.plans import editor
from pilotis.plans.models import Fiche, FicheRole, Plan


@dataclass(frozen=True)
class VersionRef:
    key: str  # "signe", "avenant-2", "aujourdhui"
    label: str


def refs(plan: Plan, amendments: list[Amendment]) -> list[VersionRef]:
    return [
        VersionRef("signe", "Tel que signé"),
        *(VersionRef(f"avenant-{a.number}", f"Après l’avenant n°{a.number}") for a in amendments),
        VersionRef("aujourdhui", "Aujourd’hui"),
    ]


def load(plan: Plan, key: str, amendments: list[Amendment]) -> versions.PlanVersion | None:
    if key == "signe":
        return versions.version_at(plan, versions.signed_at(plan), "Tel que signé")
    if key == "aujourdhui":
        return versions.version_at(plan, None, "Aujourd’hui")
    for amendment in amendments:
        if key == f"avenant-{amendment.number}":
            return versions.version_at(
                plan, amendment.recorded_at, f"Après l’avenant n°{amendment.number}"
            )
    return None


@transaction.atomic
def record(plan: Plan, user, **values) -> Amendment:
    number = (Amendment.objects.filter(plan=plan).aggregate(m=Max("number"))["m"] or 0) + 1
    amendment = Amendment(plan=plan, number=number, recorded_by=user, **values)
    amendment._history_user = user
    amendment.save()
    return amendment


def merge_fiches(keep: Fiche, drop: Fiche, user) -> int:
    """Merge `drop` into `keep`: its current actions and roles join `keep`, then `drop` is
    archived with a pointer to `keep`. Its past follow-up stays on it (an archived fiche keeps
    its reports), so every year's figures remain on the fiche they were reported for.
    Returns the number of actions moved. Raises editor.EditRefused."""
    if keep.pk == drop.pk or keep.plan_id != drop.plan_id:
        raise editor.EditRefused("Choisissez deux fiches différentes du même plan.")
    if drop.archived or keep.archived:
        raise editor.EditRefused("Une fiche archivée ou arrêtée ne se fusionne pas.")
    moved = 0
    with transaction.atomic():
        for action in drop.actions.filter(archived=False).order_by("position", "pk"):
            keep.refresh_from_db(fields=["version"])
            editor.add_action(
                keep,
                keep.version,
                "",
                f"{action.text} (fiche n°{drop.number})",
                list(action.deadline_years),
                user,
            )
            moved += 1
        existing = set(keep.roles.values_list("organisation_id", "role"))
        for role in FicheRole.objects.filter(fiche=drop).select_related("organisation"):
            if (role.organisation_id, role.role) not in existing:
                keep.refresh_from_db(fields=["version"])
                editor.add_role(keep, keep.version, role.role, role.organisation, None, user)
                existing.add((role.organisation_id, role.role))
        drop.refresh_from_db()
        reason = f"Fusion dans la fiche n°{keep.number}"
        with editor.editing_fiche(drop, drop.version, user, reason) as current:
            current.archived = True
            current.extra = {**current.extra, "merged_into": keep.number}
            Fiche.objects.filter(pk=current.pk).update(archived=True, extra=current.extra)
    return moved
