"""The `import`, `export` and `seed_demo` management commands: output and exit codes."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from pilotis.importers import registry
from pilotis.importers.persist import save_draft
from pilotis.plans.draft import ParseError
from pilotis.plans.models import Fiche, Plan
from tests.factories import make_draft
from tests.importers.conftest import snapshot
from tests.seeds import CARCASSONNE, seed_path


@pytest.fixture
def fake_parser(monkeypatch):
    """parse_document that reads "bon*" files as a two-fiche CLS and refuses anything else."""

    def parse(data: bytes, filename: str):
        if filename.startswith("bon"):
            return make_draft(2)
        raise ParseError(f"Le document « {filename} » n'est pas reconnu.")

    monkeypatch.setattr(registry, "parse_document", parse)


@pytest.fixture
def document(tmp_path):
    path = tmp_path / "bon.txt"
    path.write_text("contenu du contrat", encoding="utf-8")
    return path


def run(capsys, *args) -> tuple[str, str]:
    call_command(*args)
    captured = capsys.readouterr()
    return captured.out, captured.err


def fail(capsys, *args) -> str:
    with pytest.raises(SystemExit) as exc:
        call_command(*args)
    assert exc.value.code == 1
    captured = capsys.readouterr()
    return captured.err


# --- import -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_prints_what_it_stored(capsys, fake_parser, document):
    out, err = run(capsys, "import", str(document))
    assert err == ""
    assert "Lecture de « bon.txt »…" in out
    assert (
        "Plan « Contrat local de santé de Test 2024-2029 » (cls-test) : 2 fiches, 4 actions, "
        "4 indicateurs de résultat, 2 indicateurs de suivi." in out
    )
    assert "Plan créé :" in out
    assert "  Fiches : 2 créées" in out
    assert "  Indicateurs : 6 créés" in out
    assert Fiche.objects.count() == 2
    assert len(Plan.objects.get().source_sha256) == 64

    out, _ = run(capsys, "import", str(document))
    assert "Rien n'a changé : le plan enregistré est déjà à jour." in out


@pytest.mark.django_db
def test_import_report_lists_unplaced_lines_and_flags(capsys, fake_parser, document):
    out, _ = run(capsys, "import", str(document), "--report")
    assert "Lignes non placées (2) :" in out
    assert "  ligne 5 : Page 3 / 120 — pied de page" in out
    assert "  ligne 1020 : texte égaré — hors rubrique" in out
    assert "Points à vérifier (1) :" in out
    assert "  fiche n°1, actions : Échéance illisible (ligne 1070)" in out


@pytest.mark.django_db
def test_import_dry_run_writes_nothing(capsys, fake_parser, document):
    out, _ = run(capsys, "import", str(document), "--dry-run")
    assert "Simulation : rien n'a été enregistré." in out
    assert "  Fiches : 2 créées" in out
    assert not Plan.objects.exists()


@pytest.mark.django_db
def test_import_refused_document_exits_1_and_leaves_the_database(capsys, fake_parser, document):
    call_command("import", str(document))
    capsys.readouterr()
    before = snapshot()
    refused = document.with_name("autre.txt")
    refused.write_text("n'importe quoi", encoding="utf-8")
    err = fail(capsys, "import", str(refused))
    assert err.strip() == (
        "Import refusé, rien n'a été enregistré : Le document « autre.txt » n'est pas reconnu."
    )
    assert snapshot() == before


@pytest.mark.django_db
def test_import_missing_file_exits_1(capsys, tmp_path):
    err = fail(capsys, "import", str(tmp_path / "absent.txt"))
    assert err.startswith("Impossible de lire")


@pytest.mark.django_db
def test_import_of_an_export_through_the_registry(capsys, tmp_path):
    save_draft(make_draft(2), source_sha256="e" * 64)
    target = tmp_path / "plan.json"
    call_command("export", "cls-test", "--format", "json", "--output", str(target))
    capsys.readouterr()
    out, _ = run(capsys, "import", str(target))
    assert "Rien n'a changé" in out
    # The export's own hash would be meaningless: the source document's is kept.
    assert Plan.objects.get().source_sha256 == "e" * 64


# --- export -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_list_prints_one_slug_per_line(capsys, fake_parser, document):
    out, _ = run(capsys, "export", "--list")
    assert out == ""
    call_command("import", str(document))
    save_draft(make_draft(1, slug="autre-plan"))
    capsys.readouterr()
    out, _ = run(capsys, "export", "--list")
    assert out.splitlines() == ["autre-plan", "cls-test"]


@pytest.mark.django_db
def test_export_json_to_stdout_and_file(capsys, fake_parser, document, tmp_path):
    call_command("import", str(document))
    capsys.readouterr()
    out, _ = run(capsys, "export", "cls-test", "--format", "json")
    data = json.loads(out)
    assert data["slug"] == "cls-test"
    assert len(data["fiches"]) == 2
    target = tmp_path / "sortie.json"
    out, _ = run(capsys, "export", "cls-test", "--output", str(target))
    assert out.strip() == f"Plan « cls-test » exporté dans « {target} »."
    assert json.loads(target.read_text(encoding="utf-8")) == data
    assert "Contrat local de santé" in target.read_text(encoding="utf-8")  # accents unescaped


@pytest.mark.django_db
def test_export_unknown_plan_exits_1(capsys):
    err = fail(capsys, "export", "inconnu")
    assert "Aucun plan « inconnu »" in err
    err = fail(capsys, "export")
    assert "Indiquez l'identifiant du plan" in err


# --- seed_demo --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_seed_demo_imports_what_it_can_and_creates_the_coordinator(
    capsys, fake_parser, tmp_path, settings
):
    (tmp_path / "bon.txt").write_text("contrat", encoding="utf-8")
    (tmp_path / "brochure.txt").write_text("brochure", encoding="utf-8")
    (tmp_path / "scan.pdf").write_bytes(b"%PDF")
    settings.SEEDS_DIR = tmp_path
    out, _ = run(capsys, "seed_demo")
    assert "brochure.txt : ignoré (pas un plan dans un format reconnu" in out
    assert "scan.pdf" not in out
    assert "bon.txt :" in out and "Plan créé :" in out
    assert "Groupe « coordinateurs » créé." in out
    assert "Connexion : http://127.0.0.1:8000/comptes/login/" in out
    password = re.search(r"mot de passe « (.+?) » \(affiché cette seule fois\)", out).group(1)
    user = get_user_model().objects.get(username="coordinatrice")
    assert user.check_password(password)
    assert user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["coordinateurs"]

    out, _ = run(capsys, "seed_demo")
    assert "mot de passe «" not in out
    assert (
        "Le compte « coordinatrice » existe déjà ; pour changer son mot de passe : "
        "pilotis changepassword coordinatrice" in out
    )
    assert "Rien n'a changé" in out
    assert get_user_model().objects.count() == 1


@pytest.mark.django_db
def test_seed_demo_without_seeds_dir_still_creates_the_account(capsys, tmp_path, settings):
    settings.SEEDS_DIR = tmp_path / "absent"
    out, _ = run(capsys, "seed_demo")
    assert "Dossier des documents de démonstration introuvable" in out
    assert get_user_model().objects.filter(username="coordinatrice").exists()


# --- The real seed ----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db
def test_importing_the_carcassonne_contract_twice(capsys):
    out, _ = run(capsys, "import", str(seed_path(CARCASSONNE)))
    assert "55 fiches" in out and "Plan créé :" in out
    before = snapshot()
    out, _ = run(capsys, "import", str(seed_path(CARCASSONNE)), "--report")
    assert "Rien n'a changé" in out
    assert snapshot() == before
