"""`pilotis suggest_links [PLAN] [--dry-run]`: propose links between fiches of different plans."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from pilotis.plans import crosslinks
from pilotis.plans.models import CrossLink, Plan

STATUS_NOTES = {
    None: "nouveau",
    "proposed": "déjà proposé",
    "accepted": "déjà accepté",
    "rejected": "rejeté, non reproposé",
}


class Command(BaseCommand):
    help = (
        "Propose des liens entre les fiches d’un plan et celles des autres plans, d’après les "
        "termes qu’elles partagent, et relie un contrat aux engagements du PRS que son document "
        "déclare servir. Sans PLAN, traite tous les plans. Les liens rejetés ne sont jamais "
        "reproposés, les liens acceptés restent tels quels."
    )

    def add_arguments(self, parser):
        parser.add_argument("plan", nargs="?", help="identifiant du plan (tous si absent)")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="affiche les propositions sans rien enregistrer",
        )
        parser.add_argument(
            "--min-score",
            type=float,
            default=crosslinks.DEFAULT_MIN_SCORE,
            help=f"score minimal d’une proposition (défaut : {crosslinks.DEFAULT_MIN_SCORE})",
        )
        parser.add_argument(
            "--limit",
            type=int,
            default=crosslinks.DEFAULT_LIMIT_PER_FICHE,
            help="nombre maximal de propositions par fiche "
            f"(défaut : {crosslinks.DEFAULT_LIMIT_PER_FICHE})",
        )

    def handle(self, *args, plan, dry_run, min_score, limit, **options) -> None:
        if plan:
            try:
                plans = [Plan.objects.get(slug=plan)]
            except Plan.DoesNotExist as exc:
                raise CommandError(f"Aucun plan n’a l’identifiant « {plan} ».") from exc
        else:
            plans = list(Plan.objects.order_by("title"))
        if not plans:
            self.stdout.write("Aucun plan enregistré : rien à proposer.")
            return
        total = 0
        for index, current in enumerate(plans, start=1):
            self.stdout.write(f"[{index}/{len(plans)}] {current.title}")
            total += self._suggest(current, dry_run, min_score, limit)
            self._document(current, dry_run)
        many = total > 1
        label = "nouveaux liens" if many else "nouveau lien"
        if dry_run:
            verb = "seraient proposés" if many else "serait proposé"
        else:
            verb = "proposés" if many else "proposé"
        self.stdout.write(f"Total : {total} {label} {verb}.")
        if dry_run:
            self.stdout.write("Simulation : rien n’a été enregistré.")

    def _suggest(self, plan: Plan, dry_run: bool, min_score: float, limit: int) -> int:
        started = time.perf_counter()
        proposals = crosslinks.compute_suggestions(plan, limit_per_fiche=limit, min_score=min_score)
        for p in proposals:
            self.stdout.write(
                f"  {_decimal(p.score)}  n°{p.source.number} ↔ {p.target.plan.title}, "
                f"n°{p.target.number} — {p.target.title[:60]} ({STATUS_NOTES[p.existing]})"
            )
            if p.terms:
                self.stdout.write(f"        {p.reason}")
        new = sum(1 for p in proposals if p.existing is None)
        if not dry_run and new:
            new = crosslinks.store_proposals(plan, proposals)
        elapsed = _decimal(time.perf_counter() - started)
        count = len(proposals)
        self.stdout.write(
            f"  {count} proposition{_s(count)}, dont {new} nouvelle{_s(new)} ({elapsed} s)"
        )
        return new

    def _document(self, plan: Plan, dry_run: bool) -> None:
        for link in crosslinks.cpts_links_from_document(plan, dry_run=dry_run):
            state = "accepté" if link.status == CrossLink.Status.ACCEPTED else "proposé"
            self.stdout.write(
                f"  n°{link.source_fiche.number} → projet « {link.target_plan.title} » "
                f"({state} d’après le document : {link.reason})"
            )
        if not plan.extra.get("prs_engagements"):
            return
        result = crosslinks.links_from_document(plan, dry_run=dry_run)
        if result.note:
            self.stdout.write(f"  Engagements du PRS : {result.note}")
        for engagement, section in result.matched:
            self.stdout.write(
                f"  Sert l’engagement {section.number} du « {section.plan.title} » "
                f"(déclaré : engagement {engagement.get('number', '?')})"
            )
        for engagement in result.unmatched:
            self.stdout.write(
                f"  Engagement {engagement.get('number', '?')} déclaré sans équivalent : "
                f"« {engagement.get('title', '')} »"
            )
        if not dry_run and (result.created or result.deleted):
            self.stdout.write(
                f"  Liens d’après le document : {result.created} ajouté{_s(result.created)}, "
                f"{result.deleted} retiré{_s(result.deleted)}"
            )


def _decimal(value: float) -> str:
    """0.1234 -> "0,12": French decimal comma."""
    return f"{value:.2f}".replace(".", ",")


def _s(count: int) -> str:
    """French plural mark: none for 0 and 1."""
    return "s" if count > 1 else ""
