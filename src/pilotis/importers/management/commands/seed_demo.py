"""`pilotis seed_demo`: import the seed documents and create the demonstration coordinator."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from pilotis.accounts import roles
from pilotis.importers import registry
from pilotis.importers.persist import save_draft
from pilotis.importers.report import plural, summary_lines
from pilotis.plans import content, crosslinks
from pilotis.plans.draft import ParseError
from pilotis.plans.models import Plan
from pilotis.plans.perms import COORDINATORS_GROUP

USERNAME = "coordinatrice"
GROUP = COORDINATORS_GROUP
LOGIN_URL = "http://127.0.0.1:8000/comptes/login/"


class Command(BaseCommand):
    help = (
        "Importe les documents de démonstration (PILOTIS_SEEDS_DIR) que Pilotis sait lire et "
        "crée le compte de démonstration « coordinatrice ». Peut être relancée sans risque ; "
        "-v 2 donne la raison de chaque document ignoré."
    )

    def handle(self, *args, **options) -> None:
        self.imported: list[int] = []
        self._import_seeds(options["verbosity"])
        self._links()
        user = self._coordinator()
        # The demonstration plans are published, so that a visitor without an account sees
        # what Pilotis does; each is labelled « démonstration » wherever it is listed. Their
        # personal contact data was taken out at import (docs/rgpd.md).
        demo = Plan.objects.filter(pk__in=self.imported)
        demo.update(is_demo=True)
        published = [p for p in demo.order_by("title") if content.set_published(p, True, user)]
        if published:
            self.stdout.write(
                plural(
                    len(published), "plan de démonstration publié", "plans de démonstration publiés"
                )
                + " : visibles sans compte, signalés « démonstration »."
            )
        self.stdout.write(f"Connexion : {LOGIN_URL}")

    def _import_seeds(self, verbosity: int) -> None:
        seeds_dir = settings.SEEDS_DIR
        if not seeds_dir.is_dir():
            self.stdout.write(
                f"Dossier des documents de démonstration introuvable : {seeds_dir} "
                "(variable PILOTIS_SEEDS_DIR) ; aucun plan importé."
            )
            return
        paths = sorted(seeds_dir.glob("*.txt"))
        self.stdout.write(f"Documents de démonstration : {seeds_dir} ({len(paths)} fichiers .txt)")
        for path in paths:
            data = path.read_bytes()
            try:
                draft = registry.parse_document(data, path.name)
                summary = save_draft(draft, source_sha256=hashlib.sha256(data).hexdigest())
                self.imported.append(summary.plan_id)
            except ParseError as exc:
                # The seeds hold documents that are not plans (a brochure): the reason on demand.
                self.stdout.write(
                    f"{path.name} : ignoré (pas un plan dans un format reconnu ; "
                    "détail avec --verbosity 2)."
                )
                if verbosity >= 2:
                    self.stdout.write(f"  {exc}")
                continue
            self.stdout.write(f"{path.name} :")
            for line in summary_lines(draft, summary):
                self.stdout.write(f"  {line}")

    def _links(self) -> None:
        """Links between the demo plans: what the documents state, and proposals to review."""
        for plan in Plan.objects.order_by("title"):
            stated = crosslinks.cpts_links_from_document(plan)
            served = (
                crosslinks.links_from_document(plan) if plan.extra.get("prs_engagements") else None
            )
            proposed = crosslinks.suggest_links(plan)
            parts = []
            if served is not None and served.matched:
                parts.append(
                    plural(
                        len(served.matched), "engagement du PRS servi", "engagements du PRS servis"
                    )
                )
            if stated:
                parts.append(
                    plural(len(stated), "lien", "liens")
                    + " vers un projet de CPTS d'après le document"
                )
            if proposed:
                parts.append(plural(proposed, "lien proposé", "liens proposés") + " à examiner")
            if parts:
                self.stdout.write(f"Liens de « {plan.title} » : " + ", ".join(parts) + ".")

    @transaction.atomic
    def _coordinator(self):
        group, created = Group.objects.get_or_create(name=GROUP)
        if created:
            self.stdout.write(f"Groupe « {GROUP} » créé.")
        user_model = get_user_model()
        user = user_model.objects.filter(username=USERNAME).first()
        if user is None:
            password = secrets.token_urlsafe(12)
            user = user_model.objects.create_user(
                USERNAME,
                password=password,
                first_name="Coordinatrice",
                last_name="de démonstration",
                is_staff=True,
            )
            self.stdout.write(
                f"Compte de démonstration créé : identifiant « {USERNAME} », mot de passe "
                f"« {password} » (affiché cette seule fois)."
            )
        else:
            self.stdout.write(
                f"Le compte « {USERNAME} » existe déjà ; pour changer son mot de passe : "
                f"pilotis changepassword {USERNAME}"
            )
            if not user.is_staff:
                user.is_staff = True
                user.save(update_fields=["is_staff"])
                self.stdout.write(f"Le compte « {USERNAME} » reçoit l'accès à l'administration.")
        if not user.groups.filter(pk=group.pk).exists():
            user.groups.add(group)
            self.stdout.write(f"Le compte « {USERNAME} » rejoint le groupe « {GROUP} ».")
        # Coordinator of every plan, so that the demo can invite members to any of them.
        for plan in Plan.objects.order_by("title"):
            if roles.Role.COORDINATOR not in roles.roles_of(user, plan):
                roles.grant(user, plan, roles.Role.COORDINATOR)
                self.stdout.write(f"Le compte « {USERNAME} » coordonne « {plan.title} ».")
        return user
