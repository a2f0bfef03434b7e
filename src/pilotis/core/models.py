"""The state of a background job, as its page shows it (the work itself: pilotis.core.jobs)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

# A running job that has not reported for this long was killed (worker stopped, machine
# restarted): it is shown as interrupted and may be started again.
STALE_AFTER = timedelta(minutes=3)


class Job(models.Model):
    """One background job: who asked, what for, where it stands, what it produced.

    `key` names the work (for a report, the digest of its content and format): a second request
    for the same work while it is queued or running joins it instead of starting it twice.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "En attente"
        RUNNING = "running", "En cours"
        READY = "ready", "Prêt"
        FAILED = "failed", "Échec"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField("sorte", max_length=40)
    key = models.CharField("clé du travail", max_length=200, db_index=True)
    title = models.CharField("intitulé", max_length=300)
    params = models.JSONField("paramètres", default=dict)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="demandé par",
    )
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField("avancement (%)", default=0)
    step = models.CharField("étape", max_length=200, blank=True)
    error = models.TextField("raison de l’échec", blank=True)
    result = models.JSONField("résultat", default=dict, blank=True)
    task_id = models.CharField("tâche", max_length=64, blank=True)
    created_at = models.DateTimeField("demandé le", default=timezone.now)
    started_at = models.DateTimeField("commencé le", null=True, blank=True)
    heartbeat_at = models.DateTimeField("dernier signe de vie", null=True, blank=True)
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)

    class Meta:
        verbose_name = "tâche de fond"
        verbose_name_plural = "tâches de fond"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display().lower()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.READY, self.Status.FAILED)

    def is_stale(self, now=None) -> bool:
        """Running, but silent for too long: its worker was stopped or killed."""
        if self.status != self.Status.RUNNING:
            return False
        last = self.heartbeat_at or self.started_at or self.created_at
        return (now or timezone.now()) - last > STALE_AFTER

    def waits_for_a_worker(self, now=None) -> bool:
        """Still queued long after it was asked for: no worker seems to be running."""
        if self.status != self.Status.QUEUED:
            return False
        waited = (now or timezone.now()) - self.created_at
        return waited > timedelta(seconds=settings.PILOTIS_WORKER_WAIT_SECONDS)

    @property
    def can_retry(self) -> bool:
        return self.status == self.Status.FAILED or self.is_stale()
