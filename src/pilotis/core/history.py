"""History of changes (django-simple-history), with bulk writes that keep their user and reason."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

# (model label, pk) of the rows whose deletion was already recorded in bulk by `delete()`.
_recorded_deletions: ContextVar[frozenset[tuple[str, object]]] = ContextVar(
    "pilotis_recorded_deletions", default=frozenset()
)


class Records(HistoricalRecords):
    """HistoricalRecords whose one-row-at-a-time deletion records can be written in bulk.

    simple_history records a deletion from the post_delete signal, one INSERT per row: an import
    dropping 40 fiches would pay 40 queries. `delete()` below writes those records in one query
    first, then tells the signal to leave the rows it already recorded alone. Rows that go by
    cascade without being listed are still recorded by the signal.
    """

    def get_meta_options(self, model):
        options = super().get_meta_options(model)
        # The admin lists these tables: French names rather than "historical fiche action".
        options["verbose_name"] = f"historique : {model._meta.verbose_name}"
        options["verbose_name_plural"] = f"historique : {model._meta.verbose_name_plural}"
        return options

    def post_delete(self, instance, using=None, **kwargs):
        if (instance._meta.label, instance.pk) in _recorded_deletions.get():
            return
        super().post_delete(instance, using=using, **kwargs)


def has_history(model: type[models.Model]) -> bool:
    return hasattr(model, "history") and hasattr(model._meta, "simple_history_manager_attribute")


def _user(user):
    # Anonymous users and "no user" both leave the history's user empty.
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def bulk_create(
    model: type[models.Model], objs: Sequence[models.Model], user=None, reason: str = ""
) -> list[models.Model]:
    """bulk_create, plus one history record per row (one more query) when the model has history."""
    if not objs:
        return []
    if not has_history(model):
        return model.objects.bulk_create(objs)
    return bulk_create_with_history(
        objs, model, default_user=_user(user), default_change_reason=reason
    )


def bulk_update(
    model: type[models.Model],
    objs: Sequence[models.Model],
    fields: Sequence[str],
    user=None,
    reason: str = "",
) -> None:
    """bulk_update, plus one history record per row (one more query) when the model has history."""
    if not objs:
        return
    if not has_history(model):
        model.objects.bulk_update(objs, fields)
        return
    bulk_update_with_history(
        objs, model, fields, default_user=_user(user), default_change_reason=reason
    )


@contextmanager
def _deletions_recorded(keys: frozenset[tuple[str, object]]) -> Iterator[None]:
    token = _recorded_deletions.set(_recorded_deletions.get() | keys)
    try:
        yield
    finally:
        _recorded_deletions.reset(token)


def delete(
    model: type[models.Model], objs: Sequence[models.Model], user=None, reason: str = ""
) -> None:
    """Delete `objs` (loaded rows of `model`), their deletion recorded in one query.

    Raises ProtectedError or RestrictedError, with nothing deleted, when other rows forbid it.
    """
    if not objs:
        return
    pks = [obj.pk for obj in objs]
    if not has_history(model):
        model.objects.filter(pk__in=pks).delete()
        return
    history_model = model.history.model
    now = timezone.now()
    rows = [
        history_model(
            history_date=now,
            history_user=_user(user),
            history_change_reason=reason,
            history_type="-",
            **{f.attname: getattr(obj, f.attname) for f in history_model.tracked_fields},
        )
        for obj in objs
    ]
    # Deleting first: a refused deletion raises before any record claims it happened.
    with _deletions_recorded(frozenset((model._meta.label, pk) for pk in pks)):
        model.objects.filter(pk__in=pks).delete()
    history_model.objects.bulk_create(rows)
