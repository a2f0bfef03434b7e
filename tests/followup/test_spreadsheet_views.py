"""The follow-up spreadsheets through the pages: download, fill in, upload, preview, confirm."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.test import Client

from pilotis.followup import services
from pilotis.followup.models import ActionStatus, IndicatorValue
from tests.factories import FicheRoleFactory
from tests.followup.conftest import build_carcassonne
from tests.followup.test_perms import ROLES, user_of
from tests.followup.test_views import text

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


@pytest.fixture
def plan(db):
    """The Carcassonne plan with fiches 4 to 9 (Carcassonne Agglo), the CAF co-piloting fiche 9."""
    plan = build_carcassonne(n_extra=6)
    FicheRoleFactory(
        fiche=plan.fiches.get(number="9"),
        organisation=plan.organisations.get(key="caf"),
        role="copilot",
    )
    return plan


def base(plan, year: int = 1) -> str:
    return f"/plans/{plan.slug}/suivi/{year}/tableur/"


def download(client, plan) -> openpyxl.Workbook:
    response = client.get(base(plan) + "telecharger/")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert f"suivi-{plan.slug}-annee-1.xlsx" in response["Content-Disposition"]
    return openpyxl.load_workbook(io.BytesIO(response.content))


def column(ws, header: str) -> int:
    return [c.value for c in ws[1]].index(header) + 1


def row_of(ws, number: str, letter: str | None = None) -> int:
    """The row of fiche `number` (and of its action `letter` on the Actions sheet)."""
    for row in range(2, ws.max_row + 1):
        if ws.cell(row, 1).value == number and (letter is None or ws.cell(row, 2).value == letter):
            return row
    raise AssertionError(f"no row for fiche {number} {letter or ''}")


def put(wb, sheet: str, number: str, header: str, value, letter: str | None = None) -> str:
    """Write `value` in the fiche's row under `header`; returns the cell's name (« Fiches!C7 »)."""
    ws = wb[sheet]
    cell = ws.cell(row_of(ws, number, letter), column(ws, header))
    cell.value = value
    return f"{sheet}!{cell.coordinate}"


def as_bytes(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, plan, *files: tuple[str, bytes], submit: bool = False):
    data = {"step": "preview", "files": [io.BytesIO(content) for _, content in files]}
    for handle, (name, _) in zip(data["files"], files, strict=True):
        handle.name = name
    if submit:
        data["submit"] = "on"
    return client.post(base(plan), data)


def confirm(client, plan, preview):
    assert preview.status_code == 200, text(preview)[:2000]
    return client.post(base(plan), {"step": "confirm", "token": preview.context["token"]})


def report(campaign, number: str):
    return campaign.reports.get(fiche__number=number)


def nothing_stored(campaign) -> bool:
    return (
        all(r.version == 1 for r in campaign.reports.all())
        and not ActionStatus.objects.exists()
        and not IndicatorValue.objects.exists()
    )


# --- The scenario -----------------------------------------------------------------------


def test_a_caf_pilot_fills_in_fiche_9_through_the_xlsx(client, plan, people, campaign):
    client.force_login(people.caf_pilot)
    wb = download(client, plan)
    assert wb.sheetnames == ["Lisez-moi", "Fiches", "Actions", "Indicateurs"]
    fiches = wb["Fiches"]
    # The CAF's fiches only: fiche 2 (co-piloted) and fiche 9 (co-piloted).
    assert [fiches.cell(r, 1).value for r in range(2, fiches.max_row + 1)] == ["2", "9"]
    assert fiches.freeze_panes == "B2"
    assert fiches.protection.sheet
    assert fiches.column_dimensions["G"].hidden
    assert fiches.cell(3, 2).protection.locked and not fiches.cell(3, 3).protection.locked
    lists = {str(dv.sqref): dv.formula1 for dv in fiches.data_validations.dataValidation}
    assert '"0,20,40,60,80,100"' in lists.values() and '"Oui,Non"' in lists.values()
    assert "Comment remplir ce tableur" in [c.value for c in wb["Lisez-moi"]["A"]]

    rate_cell = put(wb, "Fiches", "9", "Taux d’avancement (%)", 60)
    put(wb, "Fiches", "9", "Objectif atteint", "Oui")
    put(wb, "Fiches", "9", "Difficultés rencontrées", "Locaux indisponibles au printemps")
    put(wb, "Actions", "9", "Réalisée cette année", "Oui", letter="A")
    put(wb, "Actions", "9", "Commentaire", "Deux sessions", letter="A")
    put(wb, "Indicateurs", "9", "Valeur (nombre)", 12.5)
    put(wb, "Indicateurs", "9", "Unité", "familles")

    preview = upload(client, plan, ("suivi.xlsx", as_bytes(wb)))
    assert preview.status_code == 200, text(preview)[:2000]
    page = text(preview)
    assert "Aperçu du tableur" in page and "Rien n’est encore enregistré" in page
    assert "Fiche n°9" in page and rate_cell in page
    assert f"Taux d’avancement de la fiche (non renseigné) 60{NBSP}%" in page
    assert "Locaux indisponibles au printemps" in page and "12,5" in page
    nine = report(campaign, "9")
    assert nine.version == 1 and nine.progress_rate is None  # nothing saved before confirming

    response = confirm(client, plan, preview)
    assert response.status_code == 302
    assert response["Location"] == f"/plans/{plan.slug}/suivi/1/"
    nine.refresh_from_db()
    assert (nine.progress_rate, nine.objective_reached, nine.status) == (60, True, "in_progress")
    assert nine.obstacles == "Locaux indisponibles au printemps"
    assert nine.version == 2 and nine.updated_by == people.caf_pilot
    status = ActionStatus.objects.get(report=nine)
    assert (status.action.letter, status.done, status.comment) == ("A", "yes", "Deux sessions")
    value = IndicatorValue.objects.get(report=nine)
    assert (value.value_number, value.unit) == (Decimal("12.5"), "familles")
    assert report(campaign, "2").version == 1  # untouched
    page = text(client.get(response["Location"]))
    assert "1 fiche mise à jour depuis le tableur (n°9)" in page

    # Downloaded again, the file shows what was stored: sending it back changes nothing.
    again = download(client, plan)
    assert again["Fiches"].cell(3, 3).value == 60
    assert again["Indicateurs"].cell(row_of(again["Indicateurs"], "9"), 5).value == 12.5
    response = upload(client, plan, ("suivi.xlsx", as_bytes(again)))
    assert response.status_code == 200 and "Aucune modification" in text(response)


def test_a_rate_of_45_is_refused_with_its_cell_and_nothing_is_stored(
    client, plan, people, campaign
):
    client.force_login(people.agglo_pilot)
    wb = download(client, plan)
    fiches = wb["Fiches"]
    assert [fiches.cell(r, 1).value for r in range(2, fiches.max_row + 1)] == [
        "3", "4", "5", "6", "7", "8", "9"
    ]  # fmt: skip
    put(wb, "Fiches", "4", "Taux d’avancement (%)", 80)  # valid, but not applied alone
    put(wb, "Actions", "4", "Réalisée cette année", "Oui", letter="A")
    cell = put(wb, "Fiches", "8", "Taux d’avancement (%)", 45)
    assert cell == "Fiches!C7"
    number = put(wb, "Indicateurs", "5", "Valeur (nombre)", "douze")
    answer = put(wb, "Actions", "6", "Réalisée cette année", "Peut-être", letter="A")

    response = upload(client, plan, ("suivi.xlsx", as_bytes(wb)))
    assert response.status_code == 400
    page = text(response)
    assert "Le fichier n’a pas été accepté (3 erreurs)" in page
    assert f"Fiches!C7 : 45 n’est pas un taux de l’échelle (0, 20, 40, 60, 80, 100{NBSP}%)" in page
    assert f"{number} : « douze » n’est pas un nombre" in page
    assert f"{answer} : « Peut-être » n’est pas une réponse possible : Oui ou Non" in page
    assert "Rien n’a été enregistré" in page
    assert nothing_stored(campaign)


# --- Rights -------------------------------------------------------------------------------------


def test_a_pilot_cannot_change_a_fiche_their_organisation_does_not_steer(
    client, plan, people, campaign
):
    # The coordinator's file names every fiche; the Agglo pilot changes fiche 2 (CAF, CD, CLS).
    client.force_login(people.coordinator)
    wb = download(client, plan)
    assert wb["Fiches"].max_row == 10
    foreign = put(wb, "Fiches", "2", "Taux d’avancement (%)", 40)
    put(wb, "Fiches", "3", "Taux d’avancement (%)", 20)
    client.force_login(people.agglo_pilot)
    response = upload(client, plan, ("suivi.xlsx", as_bytes(wb)))
    assert response.status_code == 400
    page = text(response)
    assert (
        f"{foreign} : vous ne pouvez pas modifier la fiche n°2 : aucune organisation pour "
        "laquelle vous êtes pilote ne la pilote ni ne la co-pilote"
    ) in page
    assert "(1 erreur)" in page
    assert nothing_stored(campaign)

    # The rows of other fiches left as they were do not stand in the way.
    put(wb, "Fiches", "2", "Taux d’avancement (%)", None)
    response = confirm(client, plan, upload(client, plan, ("suivi.xlsx", as_bytes(wb))))
    assert response.status_code == 302
    assert report(campaign, "3").progress_rate == 20
    assert report(campaign, "2").version == 1


def test_a_validated_fiche_is_greyed_and_refused(client, plan, people, campaign):
    two = report(campaign, "2")
    services.set_status(two, "validated", people.coordinator)
    client.force_login(people.caf_pilot)
    wb = download(client, plan)
    fiches = wb["Fiches"]
    assert fiches.cell(row_of(fiches, "2"), 3).protection.locked
    cell = put(wb, "Fiches", "2", "Commentaire", "Ajout")
    page = text(upload(client, plan, ("suivi.xlsx", as_bytes(wb))))
    assert f"{cell} : la fiche n°2 est validée par la coordination" in page


XLSX_MATRIX = {
    # route → expected status per role, in test_perms.ROLES order
    "download": ["login", 403, 403, 403, 403, 200, 200, 200, 200],
    "csv": ["login", 403, 403, 403, 403, 200, 200, 200, 200],
    "page": ["login", 403, 403, 403, 403, 200, 200, 200, 200],
    "upload": ["login", 403, 403, 403, 403, 200, 200, 200, 200],
}


@pytest.mark.parametrize(
    ("route", "who", "expected"),
    [
        (route, who, expected)
        for route, row in XLSX_MATRIX.items()
        for who, expected in zip(ROLES, row, strict=True)
    ],
)
def test_permission_matrix(client, plan, people, campaign, route, who, expected):
    plan.published = True
    plan.save()
    client.force_login(people.coordinator)
    content = as_bytes(download(client, plan))  # unchanged: « Aucune modification »
    client.logout()
    if who != "anonymous":
        client.force_login(user_of(people, who))
    match route:
        case "download":
            response = client.get(base(plan) + "telecharger/")
        case "csv":
            response = client.get(base(plan) + "fiches.csv")
        case "page":
            response = client.get(base(plan))
        case "upload":
            response = upload(client, plan, ("suivi.xlsx", content))
    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith("/comptes/login/?next=")
    else:
        assert response.status_code == expected
    assert report(campaign, "3").version == 1


def test_upload_statuses_by_role(client, plan, people, campaign):
    """The upload of a change to fiche 3: previewed for its pilots and the coordination only."""
    client.force_login(people.coordinator)
    wb = download(client, plan)
    put(wb, "Fiches", "3", "Commentaire", "Depuis le tableur")
    content = as_bytes(wb)
    expected = {"caf_pilot": 400, "agglo_pilot": 200, "coordinator": 200, "admin": 200}
    for who, status in expected.items():
        client.force_login(user_of(people, who))
        assert upload(client, plan, ("suivi.xlsx", content)).status_code == status, who


def test_an_unpublished_plans_spreadsheet_is_404_to_outsiders(client, plan, people, campaign):
    plan.published = False
    plan.save()
    client.force_login(people.outsider)
    assert client.get(base(plan) + "telecharger/").status_code == 404
    assert client.get(base(plan)).status_code == 404
    client.force_login(people.caf_pilot)
    assert client.get(base(plan) + "inconnue.csv").status_code == 404
    assert client.get(base(plan, year=3)).status_code == 404


def test_a_frozen_campaign_downloads_but_takes_no_upload(client, plan, people, campaign):
    client.force_login(people.caf_pilot)
    wb = download(client, plan)
    put(wb, "Fiches", "9", "Taux d’avancement (%)", 20)
    services.freeze_campaign(campaign)
    page = text(client.get(base(plan)))
    assert "La campagne est figée : le tableur ne peut plus être envoyé." in page
    assert upload(client, plan, ("suivi.xlsx", as_bytes(wb))).status_code == 403
    frozen = download(client, plan)
    assert frozen["Fiches"].cell(3, 3).protection.locked


# --- Versions and conflicts ---------------------------------------------------------------------


def test_a_fiche_saved_since_the_download_is_a_named_conflict(client, plan, people, campaign):
    client.force_login(people.caf_pilot)
    wb = download(client, plan)
    cell = put(wb, "Fiches", "2", "Commentaire", "Mon commentaire")
    put(wb, "Fiches", "9", "Taux d’avancement (%)", 40)
    # Meanwhile the coordinator saves fiche 2 in the browser.
    client.force_login(people.coordinator)
    response = client.post(
        f"/plans/{plan.slug}/suivi/1/fiches/2/", {"version": "1", "progress_rate": "20"}
    )
    assert response.status_code == 302
    client.force_login(people.caf_pilot)
    response = upload(client, plan, ("suivi.xlsx", as_bytes(wb)))
    assert response.status_code == 400
    page = text(response)
    assert (
        f"{cell} : conflit sur la fiche n°2 : elle a été enregistrée par Claire Coordinatrice"
        in page
    )
    assert "(modifié depuis : taux d’avancement de la fiche)" in page
    assert report(campaign, "9").version == 1


def test_an_untouched_fiche_saved_since_the_download_is_no_conflict(client, plan, people, campaign):
    client.force_login(people.caf_pilot)
    wb = download(client, plan)
    put(wb, "Fiches", "9", "Taux d’avancement (%)", 40)
    client.force_login(people.coordinator)
    client.post(f"/plans/{plan.slug}/suivi/1/fiches/2/", {"version": "1", "progress_rate": "20"})
    client.force_login(people.caf_pilot)
    response = confirm(client, plan, upload(client, plan, ("suivi.xlsx", as_bytes(wb))))
    assert response.status_code == 302
    # Fiche 2 keeps the coordinator's rate: the file's old, untouched row did not undo it.
    assert report(campaign, "2").progress_rate == 20
    assert report(campaign, "9").progress_rate == 40


def test_a_save_between_preview_and_confirmation_applies_nothing(client, plan, people, campaign):
    client.force_login(people.caf_pilot)
    wb = download(client, plan)
    put(wb, "Fiches", "2", "Commentaire", "Mon commentaire")
    put(wb, "Fiches", "9", "Taux d’avancement (%)", 40)
    preview = upload(client, plan, ("suivi.xlsx", as_bytes(wb)))
    assert preview.status_code == 200
    coordinator = Client()  # in another browser: the pilot's session keeps its pending file
    coordinator.force_login(people.coordinator)
    response = coordinator.post(
        f"/plans/{plan.slug}/suivi/1/fiches/2/", {"version": "1", "progress_rate": "20"}
    )
    assert response.status_code == 302
    response = confirm(client, plan, preview)
    assert response.status_code == 409
    assert "Depuis l’aperçu, le fichier n’est plus accepté" in text(response)
    assert "conflit sur la fiche n°2" in text(response)
    assert report(campaign, "9").version == 1  # not half-applied
    # The pending file is gone: confirming again says the preview expired.
    response = confirm(client, plan, preview)
    assert response.status_code == 302
    assert "Cet aperçu a expiré" in text(client.get(response["Location"]))


def test_cancel_discards_the_upload(client, plan, people, campaign):
    client.force_login(people.caf_pilot)
    wb = download(client, plan)
    put(wb, "Fiches", "9", "Taux d’avancement (%)", 40)
    preview = upload(client, plan, ("suivi.xlsx", as_bytes(wb)))
    token = preview.context["token"]
    response = client.post(base(plan), {"step": "cancel", "token": token})
    assert response.status_code == 302
    assert "Envoi annulé : rien n’a été enregistré." in text(client.get(response["Location"]))
    response = client.post(base(plan), {"step": "confirm", "token": token})
    assert "Cet aperçu a expiré" in text(client.get(response["Location"]))
    assert report(campaign, "9").version == 1


def test_transmitting_through_the_upload_requires_a_complete_fiche(client, plan, people, campaign):
    client.force_login(people.caf_pilot)
    wb = download(client, plan)
    put(wb, "Fiches", "9", "Commentaire", "Prêt")
    response = upload(client, plan, ("suivi.xlsx", as_bytes(wb)), submit=True)
    assert response.status_code == 400
    page = text(response)
    rate = f"Fiches!C{row_of(wb['Fiches'], '9')}"
    assert f"{rate} : Indiquez le taux d’avancement pour transmettre la fiche." in page
    put(wb, "Fiches", "9", "Taux d’avancement (%)", 100)
    put(wb, "Actions", "9", "Réalisée cette année", "Non", letter="A")
    preview = upload(client, plan, ("suivi.xlsx", as_bytes(wb)), submit=True)
    assert "Les fiches modifiées seront transmises à la coordination." in text(preview)
    response = confirm(client, plan, preview)
    assert "1 fiche transmise depuis le tableur (n°9)" in text(client.get(response["Location"]))
    assert report(campaign, "9").status == "submitted"


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_download_and_upload_with_semicolons_and_decimal_commas(client, plan, people, campaign):
    campaign.allow_partial = True
    campaign.save()
    client.force_login(people.caf_pilot)
    response = client.get(base(plan) + "indicateurs.csv")
    assert response.status_code == 200
    assert f"suivi-{plan.slug}-annee-1-indicateurs.csv" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("N° de fiche;Type;Actions visées;Indicateur;Valeur (nombre);")
    # Fiche 9's indicator: its value is typed with a decimal comma, its unit too.
    index = next(i for i, line in enumerate(lines) if line.startswith("9;"))
    cells = lines[index].split(";")
    cells[4], cells[6] = "1234,5", "heures"
    lines[index] = ";".join(cells)
    # Saved by a French Excel: Windows-1252, no BOM.
    indicators = ("\r\n".join(lines) + "\r\n").encode("cp1252")

    actions = client.get(base(plan) + "actions.csv").content.decode("utf-8-sig").splitlines()
    index = next(i for i, line in enumerate(actions) if line.startswith("9;A;"))
    cells = actions[index].split(";")
    cells[4], cells[5] = "En partie", "Commentaire « accentué » : éà"
    actions[index] = ";".join(cells)
    actions_csv = ("\r\n".join(actions) + "\r\n").encode("utf-8")  # UTF-8 without BOM

    preview = upload(client, plan, ("indicateurs.csv", indicators), ("actions.csv", actions_csv))
    assert preview.status_code == 200, text(preview)[:2000]
    assert "Indicateurs!E" in text(preview) and "1234,5" in text(preview)
    assert confirm(client, plan, preview).status_code == 302
    nine = report(campaign, "9")
    value = IndicatorValue.objects.get(report=nine)
    assert (value.value_number, value.unit) == (Decimal("1234.5"), "heures")
    status = ActionStatus.objects.get(report=nine)
    assert (status.done, status.comment) == ("partly", "Commentaire « accentué » : éà")


def test_csv_errors_name_the_cell(client, plan, people, campaign):
    client.force_login(people.caf_pilot)
    lines = client.get(base(plan) + "fiches.csv").content.decode("utf-8-sig").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("9;"))
    cells = lines[index].split(";")
    cells[2] = "45"
    lines[index] = ";".join(cells)
    response = upload(client, plan, ("fiches.csv", "\n".join(lines).encode()))
    assert response.status_code == 400
    assert f"Fiches!C{index + 1} : 45 n’est pas un taux de l’échelle" in text(response)


# --- Bad files ----------------------------------------------------------------------------------


def refused(client, plan, *files) -> str:
    response = upload(client, plan, *files)
    assert response.status_code == 400
    return text(response)


def test_bad_files_are_refused_in_french(client, plan, people, campaign):
    client.force_login(people.caf_pilot)
    wb = download(client, plan)
    assert "Le fichier envoyé est vide." in refused(client, plan, ("vide.xlsx", b""))
    page = refused(client, plan, ("contrat.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"))
    assert "n’est pas une feuille du tableur de suivi" in page or "lisible" in page
    page = refused(client, plan, ("archive.xlsx", b"PK\x03\x04 not really a zip"))
    assert "Le fichier « archive.xlsx » n’est pas un classeur Excel (.xlsx) lisible" in page
    assert "format Excel 97-2003 (.xls)" in refused(
        client, plan, ("ancien.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    )

    missing = download(client, plan)
    del missing["Actions"]
    page = refused(client, plan, ("suivi.xlsx", as_bytes(missing)))
    assert "Actions : la feuille « Actions » manque dans « suivi.xlsx »" in page

    moved = download(client, plan)
    moved["Fiches"].insert_cols(3)
    moved["Fiches"]["C1"] = "Mes notes"
    page = refused(client, plan, ("suivi.xlsx", as_bytes(moved)))
    assert (
        "Fiches!C1 : la colonne C doit être « Taux d’avancement (%) », le fichier a la colonne "
        "« Mes notes »"
    ) in page

    extra = download(client, plan)
    extra["Actions"]["H1"] = "Remarques"
    page = refused(client, plan, ("suivi.xlsx", as_bytes(extra)))
    assert "Actions!H1 : colonne « Remarques » en trop" in page

    added = download(client, plan)
    added["Fiches"].append(["12", "Nouvelle fiche", 20])
    page = refused(client, plan, ("suivi.xlsx", as_bytes(added)))
    assert "Fiches!A4 : ligne inconnue : sa référence technique" in page

    assert nothing_stored(campaign)
    assert wb  # the first download stays usable after all these refusals
    put(wb, "Fiches", "9", "Taux d’avancement (%)", 40)
    assert upload(client, plan, ("suivi.xlsx", as_bytes(wb))).status_code == 200


def test_a_file_from_another_campaign_is_refused(client, plan, people, campaign):
    other = build_carcassonne(slug="cls-autre")
    from tests.followup.conftest import member

    coordinator = member(other, "coordinator")
    other_campaign = services.open_campaign(other, 1, campaign.deadline)
    client.force_login(coordinator)
    response = client.get(f"/plans/{other.slug}/suivi/1/tableur/telecharger/")
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    wb["Fiches"]["C2"] = 20
    client.force_login(people.coordinator)
    page = refused(client, plan, ("suivi.xlsx", as_bytes(wb)))
    assert "Ce fichier a été téléchargé pour une autre campagne de suivi" in page
    assert other_campaign.reports.get(fiche__number="1").version == 1


def test_too_big_and_too_many_files(client, plan, people, campaign, settings):
    client.force_login(people.caf_pilot)
    big = b"a;b\n" * (5 * 1024 * 1024 // 4 + 10)
    assert "la taille maximale est de 5 Mo" in refused(client, plan, ("gros.csv", big))
    page = refused(client, plan, *[(f"f{i}.csv", b"x;y\n") for i in range(4)])
    assert "Envoyez au plus 3 fichiers" in page


# --- The links ----------------------------------------------------------------------------------


def test_dashboard_and_my_fiches_link_to_the_spreadsheet(client, plan, people, campaign):
    download_url = base(plan) + "telecharger/"
    client.force_login(people.coordinator)
    assert download_url in client.get(f"/plans/{plan.slug}/suivi/1/").content.decode()
    client.force_login(people.partner)
    plan.published = True
    plan.save()
    assert download_url not in client.get(f"/plans/{plan.slug}/suivi/1/").content.decode()
    client.force_login(people.caf_pilot)
    page = client.get("/suivi/mes-fiches/").content.decode()
    assert download_url in page and base(plan) in page
    assert "Travailler dans un tableur" in page


def test_a_race_during_confirmation_rolls_every_fiche_back(
    client, plan, people, campaign, monkeypatch
):
    """The second fiche's save meets a newer version: the first one, already written, goes."""
    client.force_login(people.caf_pilot)
    wb = download(client, plan)
    put(wb, "Fiches", "2", "Taux d’avancement (%)", 20)
    put(wb, "Fiches", "9", "Taux d’avancement (%)", 40)
    preview = upload(client, plan, ("suivi.xlsx", as_bytes(wb)))
    save = services.save_report

    def racing(report, data, **kwargs):
        if report.fiche.number == "9":
            type(report).objects.filter(pk=report.pk).update(version=5)
        return save(report, data, **kwargs)

    monkeypatch.setattr(services, "save_report", racing)
    response = confirm(client, plan, preview)
    assert response.status_code == 302
    page = text(client.get(response["Location"]))
    assert "pendant votre confirmation : rien n’a été enregistré" in page
    assert report(campaign, "2").version == 1 and report(campaign, "2").progress_rate is None
