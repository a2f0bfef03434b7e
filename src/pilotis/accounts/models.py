"""Who belongs to which plan, in which role and for which organisations; invitations to join."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from pilotis.plans.models import Organisation, Plan


class Role(models.TextChoices):
    """A user's role in one plan. Administrators are superusers, not a role of a plan."""

    COORDINATOR = "coordinator", "Coordinateur·rice"
    PILOT = "pilot", "Pilote"
    COPIL = "copil", "Membre du COPIL"
    PARTNER = "partner", "Partenaire"


class Membership(models.Model):
    Role = Role

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name="utilisateur",
    )
    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="memberships", verbose_name="plan"
    )
    role = models.CharField("rôle", max_length=16, choices=Role.choices)
    # The organisations the user acts for in this plan: a CAF agent belongs to the plan's "caf".
    organisations = models.ManyToManyField(
        Organisation, blank=True, related_name="memberships", verbose_name="organisations"
    )
    created_at = models.DateTimeField("depuis le", default=timezone.now)

    class Meta:
        verbose_name = "membre d'un plan"
        verbose_name_plural = "membres des plans"
        ordering = ["plan", "user__last_name", "user__first_name", "user__username", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "plan", "role"], name="membership_user_plan_role_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.plan}"


class InvitationQuerySet(models.QuerySet):
    def pending(self) -> InvitationQuerySet:
        """Neither accepted nor expired: the link still works."""
        return self.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """A single-use, expiring invitation; only the SHA-256 of its token is stored."""

    Role = Role

    email = models.EmailField("adresse électronique")
    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="invitations", verbose_name="plan"
    )
    role = models.CharField("rôle", max_length=16, choices=Role.choices)
    organisations = models.ManyToManyField(
        Organisation, blank=True, related_name="invitations", verbose_name="organisations"
    )
    # The raw token only ever exists in the e-mail: a leaked database cannot be used to join.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations_sent",
        verbose_name="invité par",
    )
    created_at = models.DateTimeField("envoyée le", default=timezone.now)
    expires_at = models.DateTimeField("expire le")
    accepted_at = models.DateTimeField("acceptée le", null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations_accepted",
        verbose_name="acceptée par",
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = "invitation"
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["plan", "expires_at"],
                name="invitation_pending_idx",
                condition=Q(accepted_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} — {self.get_role_display()} — {self.plan}"

    @property
    def is_accepted(self) -> bool:
        return self.accepted_at is not None

    @property
    def is_expired(self) -> bool:
        return not self.is_accepted and self.expires_at <= timezone.now()

    @property
    def is_pending(self) -> bool:
        return not self.is_accepted and not self.is_expired
