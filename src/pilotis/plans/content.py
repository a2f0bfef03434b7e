"""Changes to a fiche's own content (edit form, restore): optimistic concurrency and history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from pilotis.plans.draft import (
    FIELD_LABELS,
    ActionDraft,
    FicheDraft,
    IndicatorDraft,
    OrganisationDraft,
    RoleDraft,
    Span,
    fiche_search_text,
)
from pilotis.plans.models import Fiche, Plan

# What the edit form changes: the fiche's texts, not its place in the plan nor its parts.
EDITABLE_FIELDS = (
    "title",
    "pilotage_label",
    "context",
    "strategic_objective",
    "operational_objectives",
    "public",
)
# What a restore brings back: the same, plus the other rubrics an import may have changed.
RESTORED_FIELDS = (*EDITABLE_FIELDS, "extra")


def field_label(model, name: str) -> str:
    """French label of a field: the import's wording for fiche fields, else the model's."""
    if model is Fiche and name in FIELD_LABELS:
        label = FIELD_LABELS[name]
    else:
        label = str(model._meta.get_field(name).verbose_name)
    # Models spell their names with a straight apostrophe; pages use the typographic one.
    label = label.replace("'", "’")
    return label[:1].upper() + label[1:]


@dataclass(frozen=True)
class Conflict:
    """A field someone else changed since the form was opened."""

    field: str
    label: str
    now: Any  # the stored value, after the other change
    yours: Any  # the value the refused form held

    @property
    def now_text(self) -> str:
        return display_value(self.now)

    @property
    def yours_text(self) -> str:
        return display_value(self.yours)


def display_value(value: Any) -> str:
    """A field's value as a page shows it: lists one item a line, "—" when empty."""
    if isinstance(value, list):
        value = "\n".join(str(v) for v in value)
    return str(value) if value not in (None, "") else "—"


class VersionConflict(Exception):
    """The fiche changed since the form was filled in: nothing was saved."""

    def __init__(self, fiche: Fiche, conflicts: list[Conflict]):
        super().__init__(f"La fiche n°{fiche.number} a changé entre-temps.")
        self.fiche = fiche
        self.conflicts = conflicts


def changed_since(fiche: Fiche, version: int, yours: dict[str, Any]) -> list[Conflict]:
    """Fields of `fiche` (as stored now) that changed since its `version`, read from its history.

    Without a recorded state of that version (rows older than the history), every field whose
    stored value differs from `yours` is listed instead.
    """
    base = fiche.history.filter(version=version).order_by("-history_date", "-history_id").first()
    names = [n for n in yours if n in RESTORED_FIELDS]
    if base is not None:
        names = [n for n in names if getattr(base, n) != getattr(fiche, n)]
    else:
        names = [n for n in names if getattr(fiche, n) != yours[n]]
    return [Conflict(n, field_label(Fiche, n), getattr(fiche, n), yours[n]) for n in names]


def save_content(
    fiche: Fiche, version: int, values: dict[str, Any], user, reason: str = ""
) -> list[str]:
    """Write `values` to the fiche if it is still at `version`; return the fields changed.

    The stored version is compared and bumped in one conditional UPDATE, so that of two saves
    started from the same version exactly one wins, on SQLite as on PostgreSQL; the loser gets a
    VersionConflict naming what the winner changed. The change is recorded in the history with
    `user` and `reason`.
    """
    with transaction.atomic():
        current = Fiche.objects.select_for_update().get(pk=fiche.pk)
        if current.version != version:
            raise VersionConflict(current, changed_since(current, version, values))
        changed = [n for n, v in values.items() if getattr(current, n) != v]
        if not changed:
            return []
        for name in changed:
            setattr(current, name, values[name])
        current.search_text = stored_search_text(current)
        updated = Fiche.objects.filter(pk=current.pk, version=version).update(
            version=version + 1,
            search_text=current.search_text,
            **{n: values[n] for n in changed},
        )
        if not updated:  # lost a race the row lock did not prevent (SQLite has none)
            current.refresh_from_db()
            raise VersionConflict(current, changed_since(current, version, values))
        current.version = version + 1
        Fiche.history.bulk_history_create(
            [current],
            update=True,
            default_user=user if user is not None and user.is_authenticated else None,
            default_change_reason=reason,
        )
    for name in (*changed, "version", "search_text"):
        setattr(fiche, name, getattr(current, name))
    return changed


def restore(fiche: Fiche, record, version: int, user) -> list[str]:
    """Bring back the fiche's own fields as they were in history `record`: a change like any other,
    recorded with `user`. Raises VersionConflict if the fiche changed since `version`."""
    when = timezone.localtime(record.history_date).strftime("%d/%m/%Y à %H:%M")
    values = {n: getattr(record, n) for n in RESTORED_FIELDS}
    return save_content(fiche, version, values, user, f"Restauration de la version du {when}")


def set_published(plan: Plan, published: bool, user) -> bool:
    """Publish or unpublish `plan`; False when it already was. Recorded in the plan's history."""
    if plan.published == published:
        return False
    plan.published = published
    plan.published_at = timezone.now() if published else None
    plan.published_by = user if published else None
    plan._history_user = user
    plan._change_reason = "Publication" if published else "Retrait de la publication"
    plan.save(update_fields=["published", "published_at", "published_by"])
    return True


def stored_search_text(fiche: Fiche) -> str:
    """The fiche's search text rebuilt from its stored rows, as an import would write it."""
    nowhere = Span("", 0, 0)
    roles = list(fiche.roles.select_related("organisation").order_by("position", "pk"))
    draft = FicheDraft(
        number=fiche.number,
        title=fiche.title,
        section_key="",
        span=nowhere,
        pilotage_label=fiche.pilotage_label,
        roles=[RoleDraft(r.role, r.as_written, r.organisation.key) for r in roles],
        context=fiche.context,
        strategic_objective=fiche.strategic_objective,
        operational_objectives=list(fiche.operational_objectives),
        actions=[
            ActionDraft(a.letter, a.text, a.deadline_years, a.deadline_as_written, nowhere, a.extra)
            for a in fiche.actions.order_by("position", "pk")
        ],
        public=fiche.public,
        programmes=[p.as_written for p in fiche.programme_links.order_by("position", "pk")],
        indicators=[
            IndicatorDraft(i.kind, i.action_letters, i.text, nowhere)
            for i in fiche.indicators.order_by("position", "pk")
        ],
        extra=dict(fiche.extra),
    )
    organisations = {
        r.organisation.key: OrganisationDraft(
            r.organisation.key, r.organisation.name, r.organisation.acronym
        )
        for r in roles
    }
    return fiche_search_text(draft, organisations)
