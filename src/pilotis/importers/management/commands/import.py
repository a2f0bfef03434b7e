"""`pilotis import FILE`: read a plan document and store it (one transaction, idempotent)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.core.management.base import BaseCommand

from pilotis.importers import labelmaps, registry
from pilotis.importers.models import LabelMapping
from pilotis.importers.persist import save_draft
from pilotis.importers.report import report_lines, summary_lines
from pilotis.plans.draft import ParseError
from pilotis.plans.export import json_source_sha256


class Command(BaseCommand):
    help = (
        "Importe un plan (contrat local de santé, projet de santé de CPTS…) depuis un document "
        "texte, PDF (avec texte), DOCX ou un export JSON de Pilotis. Réimporter le même document "
        "ne change rien."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file", help="document à importer : texte, PDF avec texte, DOCX ou export JSON"
        )
        parser.add_argument(
            "--report",
            action="store_true",
            help="liste aussi chaque ligne non placée et chaque point à vérifier",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="montre ce que l'import ferait, sans rien enregistrer",
        )

    def handle(self, *args, file: str, report: bool, dry_run: bool, **options) -> None:
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            self._fail(f"Impossible de lire « {path} » : {exc.strerror or exc}.")
        self.stdout.write(f"Lecture de « {path.name} »…")
        # An export carries the hash of the document it came from: keep that provenance.
        sha256 = hashlib.sha256(data).hexdigest()
        if path.suffix.lower() == ".json":
            sha256 = json_source_sha256(data) or sha256
        try:
            draft = registry.parse_document(data, path.name)
            saved = LabelMapping.fitting(labelmaps.signature(draft))
            if saved is not None:
                # Read as the coordinators' saved mapping says, as the import page does.
                self.stdout.write(f"Correspondance de rubriques appliquée : « {saved.name} ».")
                draft = registry.parse_document(data, path.name, label_mapping=saved.mapping)
            summary = save_draft(draft, source_sha256=sha256, dry_run=dry_run)
        except ParseError as exc:
            self._fail(f"Import refusé, rien n'a été enregistré : {exc}")
        for line in summary_lines(draft, summary):
            self.stdout.write(line)
        if report:
            for line in report_lines(draft):
                self.stdout.write(line)

    def _fail(self, message: str) -> None:
        self.stderr.write(message)
        raise SystemExit(1)
