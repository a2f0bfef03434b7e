"""The plan as it stood at any moment — as signed, as of each avenant, today — rebuilt from the
history every change writes (django-simple-history), and the differences between two versions.

`PlanVersion` and `compare` are plain data and a pure function; `version_at` reads the history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Max

from pilotis.plans.models import Action, Fiche, FicheRole, Organisation, Plan

ROLE_LABELS = {"pilot": "pilote", "copilot": "co-pilote", "partner": "partenaire"}


@dataclass(frozen=True)
class FicheVersion:
    number: str
    title: str
    archived: bool
    actions: tuple[tuple[str, str, bool], ...]  # (letter, text, archived)
    roles: tuple[tuple[str, str], ...]  # (role, organisation name)
    merged_into: str = ""


@dataclass
class PlanVersion:
    label: str
    at: datetime | None
    fiches: dict[str, FicheVersion] = field(default_factory=dict)

    def current(self) -> list[FicheVersion]:
        return [f for f in self.fiches.values() if not f.archived]


@dataclass(frozen=True)
class Difference:
    fiche: str
    kind: str  # added, removed, stopped, resumed, merged, title, action_added, action_removed,
    # action_changed, role_added, role_removed
    text: str


def _actions(fiche: FicheVersion) -> dict[str, tuple[str, bool]]:
    return {letter: (text, archived) for letter, text, archived in fiche.actions}


def compare(before: PlanVersion, after: PlanVersion) -> list[Difference]:
    """What changed from `before` to `after`, fiche by fiche, in French."""
    out: list[Difference] = []
    for number, new in after.fiches.items():
        old = before.fiches.get(number)
        if old is None:
            out.append(Difference(number, "added", f"Fiche n°{number} ajoutée : « {new.title} »"))
            continue
        if new.archived and not old.archived:
            if new.merged_into:
                out.append(
                    Difference(
                        number,
                        "merged",
                        f"Fiche n°{number} fusionnée dans la fiche n°{new.merged_into}",
                    )
                )
            else:
                out.append(Difference(number, "stopped", f"Fiche n°{number} arrêtée"))
        elif old.archived and not new.archived:
            out.append(Difference(number, "resumed", f"Fiche n°{number} reprise"))
        if new.title != old.title:
            out.append(Difference(number, "title", f"Intitulé : « {old.title} » → « {new.title} »"))
        old_actions, new_actions = _actions(old), _actions(new)
        for letter, (text, archived) in new_actions.items():
            if letter not in old_actions or (old_actions[letter][1] and not archived):
                if not archived:
                    out.append(
                        Difference(number, "action_added", f"Action {letter} ajoutée : {text}")
                    )
            elif archived and not old_actions[letter][1]:
                out.append(Difference(number, "action_removed", f"Action {letter} retirée"))
            elif text != old_actions[letter][0]:
                out.append(
                    Difference(number, "action_changed", f"Action {letter} reformulée : {text}")
                )
        for letter, (_text, archived) in old_actions.items():
            if letter not in new_actions and not archived:
                out.append(Difference(number, "action_removed", f"Action {letter} retirée"))
        old_roles, new_roles = set(old.roles), set(new.roles)
        for role, name in sorted(new_roles - old_roles):
            out.append(Difference(number, "role_added", f"{ROLE_LABELS.get(role, role)} : {name}"))
        for role, name in sorted(old_roles - new_roles):
            out.append(
                Difference(number, "role_removed", f"{ROLE_LABELS.get(role, role)} retiré : {name}")
            )
    for number, old in before.fiches.items():
        if number not in after.fiches and not old.archived:
            out.append(
                Difference(number, "removed", f"Fiche n°{number} supprimée : « {old.title} »")
            )
    return out


# --- Reading the history -------------------------------------------------------------------


def _at(model, when: datetime, **filters) -> list:
    """The historical records of `model` as they stood at `when`: the latest of each row, rows
    deleted by then left out. Records, not instances: simple_history's `as_of` would load each
    instance's excluded fields (a fiche's search text) one query a row."""
    records = model.history.filter(history_date__lte=when, **filters).latest_of_each()
    return [r for r in records if r.history_type != "-"]


def version_at(plan: Plan, when: datetime | None, label: str) -> PlanVersion:
    """The plan's fiches, actions and roles as they stood at `when` (today when None)."""
    if when is None:
        fiches = list(
            Fiche.objects.filter(plan=plan).defer("search_text").order_by("position", "pk")
        )
        actions = list(Action.objects.filter(fiche__plan=plan).order_by("position", "pk"))
        roles = list(FicheRole.objects.filter(fiche__plan=plan).order_by("position", "pk"))
        organisations = {o.pk: o.name for o in Organisation.objects.filter(plan=plan)}
    else:
        fiches = sorted(_at(Fiche, when, plan_id=plan.pk), key=lambda f: (f.position, f.id))
        ids = [f.id for f in fiches]
        actions = sorted(_at(Action, when, fiche_id__in=ids), key=lambda a: (a.position, a.id))
        roles = sorted(_at(FicheRole, when, fiche_id__in=ids), key=lambda r: (r.position, r.id))
        organisations = {o.id: o.name for o in _at(Organisation, when, plan_id=plan.pk)}
    by_fiche_actions: dict[int, list] = {}
    for action in actions:
        by_fiche_actions.setdefault(action.fiche_id, []).append(
            (action.letter, action.text, action.archived)
        )
    by_fiche_roles: dict[int, list] = {}
    for role in roles:
        by_fiche_roles.setdefault(role.fiche_id, []).append(
            (role.role, organisations.get(role.organisation_id, "?"))
        )
    version = PlanVersion(label=label, at=when)
    for fiche in fiches:
        version.fiches[fiche.number] = FicheVersion(
            number=fiche.number,
            title=fiche.title,
            archived=fiche.archived,
            actions=tuple(by_fiche_actions.get(fiche.id, [])),
            roles=tuple(by_fiche_roles.get(fiche.id, [])),
            merged_into=str(fiche.extra.get("merged_into", "")) if fiche.extra else "",
        )
    return version


def signed_at(plan: Plan) -> datetime | None:
    """When the plan stood as signed: the end of its first import (every row that import wrote
    carries the same change reason), else its creation in the editor."""
    first = Plan.history.filter(id=plan.pk).order_by("history_date", "history_id").first()
    if first is None:
        return None
    reason = first.history_change_reason
    if not reason:
        return first.history_date
    # The rows of one import are written within seconds, fiches first, then their actions and
    # roles; a later re-import of the same document carries the same reason and must not count.
    window = {
        "history_change_reason": reason,
        "history_date__lte": first.history_date + timedelta(minutes=10),
    }
    fiche_ids = list(Fiche.history.filter(plan_id=plan.pk).values_list("id", flat=True).distinct())
    dates = [
        Fiche.history.filter(plan_id=plan.pk, **window).aggregate(m=Max("history_date"))["m"],
        Action.history.filter(fiche_id__in=fiche_ids, **window).aggregate(m=Max("history_date"))[
            "m"
        ],
        FicheRole.history.filter(fiche_id__in=fiche_ids, **window).aggregate(m=Max("history_date"))[
            "m"
        ],
        Organisation.history.filter(plan_id=plan.pk, **window).aggregate(m=Max("history_date"))[
            "m"
        ],
        first.history_date,
    ]
    return max(d for d in dates if d is not None)
