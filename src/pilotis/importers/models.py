"""What the imports remember between documents: the label mappings coordinators saved."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from pilotis.core.history import Records


class LabelMapping(models.Model):
    """How a coordinator told the general reader to read a document's labels (which label is
    which field), applied to the next document of the same shape: mostly the same labels."""

    name = models.CharField("nom", max_length=200)
    # Canonical labels of the document it was saved from (`common.canonical_label`), sorted.
    labels = models.JSONField("rubriques du document", default=list)
    # Canonical label -> field code of `general.labels.FIELDS`.
    mapping = models.JSONField("correspondances", default=dict)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="enregistrée par",
    )
    saved_at = models.DateTimeField("enregistrée le", auto_now=True)
    history = Records()

    class Meta:
        verbose_name = "correspondance de rubriques"
        verbose_name_plural = "correspondances de rubriques"
        ordering = ["-saved_at"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def fitting(cls, labels: list[str]) -> LabelMapping | None:
        """The saved mapping that fits a document with these canonical labels, if any."""
        from pilotis.importers.labelmaps import best_fit

        if not labels:
            return None
        best = best_fit(labels, cls.objects.values_list("pk", "labels"))
        return cls.objects.get(pk=best) if best is not None else None
