"""`pilotis export`: list the stored plans, or write one plan as JSON or as its spreadsheet."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from pilotis.plans.export import plan_to_dict, plan_to_json
from pilotis.plans.models import Plan
from pilotis.plans.spreadsheet import plan_to_xlsx


class Command(BaseCommand):
    help = (
        "Exporte un plan enregistré au format JSON (voir docs/export-format.md) ou en tableur "
        "XLSX (voir docs/plan-spreadsheet.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("plan", nargs="?", help="identifiant du plan (voir --list)")
        parser.add_argument(
            "--list",
            dest="list_plans",
            action="store_true",
            help="liste les identifiants des plans enregistrés",
        )
        parser.add_argument(
            "--format",
            dest="fmt",
            choices=["json", "xlsx"],
            default="json",
            help="format : json (par défaut) ou xlsx (le tableur du plan)",
        )
        parser.add_argument(
            "--output",
            help="fichier à écrire (par défaut : la sortie standard en JSON, "
            "« <identifiant>.xlsx » en XLSX)",
        )

    def handle(
        self,
        *args,
        plan: str | None,
        list_plans: bool,
        output: str | None,
        fmt: str = "json",
        **options,
    ) -> None:
        if list_plans:
            for slug in Plan.objects.order_by("slug").values_list("slug", flat=True):
                self.stdout.write(slug)
            return
        if not plan:
            self._fail(
                "Indiquez l'identifiant du plan à exporter (voir « pilotis export --list »)."
            )
        stored = Plan.objects.filter(slug=plan).first()
        if stored is None:
            self._fail(f"Aucun plan « {plan} » (voir « pilotis export --list »).")
        if fmt == "xlsx":
            self._write_xlsx(stored, output or f"{stored.slug}.xlsx")
            return
        text = plan_to_json(stored)
        if output is None:
            self.stdout.write(text, ending="")
            return
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            self._fail(f"Impossible d'écrire « {output} » : {exc.strerror or exc}.")
        self.stdout.write(f"Plan « {plan} » exporté dans « {output} ».")

    def _write_xlsx(self, plan: Plan, output: str) -> None:
        try:
            Path(output).write_bytes(plan_to_xlsx(plan_to_dict(plan)))
        except OSError as exc:
            self._fail(f"Impossible d'écrire « {output} » : {exc.strerror or exc}.")
        self.stdout.write(f"Plan « {plan.slug} » exporté en tableur dans « {output} ».")

    def _fail(self, message: str) -> None:
        self.stderr.write(message)
        raise SystemExit(1)
