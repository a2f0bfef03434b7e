"""Pages of the follow-up spreadsheets: download (XLSX, CSV), upload, preview, confirm or cancel.

Refusals as on the other follow-up pages (views.py): anonymous visitors sign in; outsiders get
404 for an unpublished plan, 403 otherwise; members other than coordinators and pilots get 403.
The uploaded bytes wait on disk between the preview and the confirmation, keyed in the session
as the plan import does: confirming reads them again and saves exactly what was previewed, or
nothing.
"""

from __future__ import annotations

import binascii
import secrets
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_safe

from pilotis.core.forms import too_big
from pilotis.followup import perms, services, spreadsheet_store, spreadsheets
from pilotis.followup.models import Campaign
from pilotis.followup.views import _crumbs, _followed_plan

PENDING_KEY = "pilotis_pending_spreadsheet"
# A campaign's workbook weighs tens of kilobytes: a bigger file is not one.
MAX_MB = 5
MAX_FILES = 3
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_SHEETS = {
    "fiches": spreadsheets.FICHES,
    "actions": spreadsheets.ACTIONS,
    "indicateurs": spreadsheets.INDICATORS,
}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    """One or several files (the three CSV sheets), each checked as a FileField does."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            if not data:
                return super().clean(None, initial)
            return [super(FilesField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)]


class UploadForm(forms.Form):
    files = FilesField(
        label="Tableur rempli",
        error_messages={
            "required": "Choisissez le fichier à envoyer.",
            "empty": "Le fichier envoyé est vide.",
            "invalid": "Le fichier n’a pas pu être lu.",
        },
    )
    submit = forms.BooleanField(
        label="Transmettre à la coordination les fiches modifiées",
        help_text="Le taux d’avancement et chaque action prévue doivent alors être renseignés. "
        "Sinon, les fiches modifiées sont enregistrées en brouillon ; une fiche déjà transmise "
        "le reste.",
        required=False,
    )

    def clean_files(self):
        files = self.cleaned_data["files"]
        if len(files) > MAX_FILES:
            raise forms.ValidationError(
                f"Envoyez au plus {MAX_FILES} fichiers : un classeur .xlsx, ou les feuilles "
                "Fiches, Actions et Indicateurs en CSV."
            )
        for upload in files:
            if refusal := too_big(upload, MAX_MB):
                raise forms.ValidationError(refusal)
        return files


def _campaign(request, slug: str, year: int) -> Campaign:
    plan = _followed_plan(request, slug)
    campaign = get_object_or_404(Campaign, plan=plan, year=year)
    campaign.plan = plan
    if not perms.can_use_spreadsheet(request.user, campaign):
        raise PermissionDenied(
            "Le tableur de suivi est réservé à la coordination et aux pilotes du plan."
        )
    return campaign


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


# --- Downloads -----------------------------------------------------------------------------------


@login_required
@require_safe
def download(request, slug, year):
    campaign = _campaign(request, slug, year)
    lines = spreadsheet_store.download_lines(campaign, request.user)
    now = formats.date_format(timezone.localtime(), "j F Y à H:i")
    data = spreadsheets.build_xlsx(
        lines,
        upload_url=request.build_absolute_uri(
            reverse("followup:spreadsheet", args=[campaign.plan.slug, campaign.year])
        ),
        generated=f"le {now} par {_person(request.user)}",
    )
    return _attachment(data, XLSX_TYPE, spreadsheet_store.filename(campaign, "xlsx"))


@login_required
@require_safe
def download_csv(request, slug, year, sheet):
    if sheet not in CSV_SHEETS:
        raise Http404("Feuille inconnue.")
    campaign = _campaign(request, slug, year)
    lines = spreadsheet_store.download_lines(campaign, request.user)
    data = spreadsheets.build_csv(lines, CSV_SHEETS[sheet])
    return _attachment(
        data, "text/csv; charset=utf-8", spreadsheet_store.filename(campaign, "csv", sheet)
    )


def _attachment(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    # The file holds the reports as they are now: a cached copy would bring back old versions.
    response["Cache-Control"] = "no-store"
    return response


# --- Upload, preview, confirm --------------------------------------------------------------------


def _pending_dir() -> Path:
    return Path(settings.VAR_DIR) / "tableurs-en-attente"


def _pending_path(token: str, index: int) -> Path:
    # The token comes back from the session only, but stays a hex name to rule out any path trick.
    try:
        binascii.unhexlify(token)
    except (binascii.Error, TypeError) as exc:
        raise Http404 from exc
    return _pending_dir() / f"{token}-{int(index)}.bin"


def _store_pending(
    request, campaign: Campaign, files: list[tuple[str, bytes]], submit: bool
) -> str:
    _discard_pending(request)
    directory = _pending_dir()
    directory.mkdir(parents=True, exist_ok=True)
    # Uploads abandoned on the preview page would otherwise pile up.
    cutoff = time.time() - settings.SESSION_COOKIE_AGE
    for old in directory.glob("*.bin"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    for index, (_name, data) in enumerate(files):
        _pending_path(token, index).write_bytes(data)
    request.session[PENDING_KEY] = {
        "token": token,
        "campaign": campaign.pk,
        "names": [name for name, _ in files],
        "submit": submit,
    }
    return token


def _discard_pending(request) -> None:
    pending = request.session.pop(PENDING_KEY, None)
    if pending:
        for index in range(len(pending.get("names", []))):
            _pending_path(pending["token"], index).unlink(missing_ok=True)


def _pending_files(request, campaign: Campaign) -> tuple[dict | None, list[tuple[str, bytes]]]:
    pending = request.session.get(PENDING_KEY)
    if (
        not pending
        or pending.get("token") != request.POST.get("token")
        or pending.get("campaign") != campaign.pk
    ):
        return None, []
    try:
        files = [
            (name, _pending_path(pending["token"], index).read_bytes())
            for index, name in enumerate(pending["names"])
        ]
    except FileNotFoundError:
        request.session.pop(PENDING_KEY, None)
        return None, []
    return pending, files


def _context(request, campaign: Campaign, **extra) -> dict:
    plan = campaign.plan
    dashboard_url = reverse("followup:dashboard", args=[plan.slug, campaign.year])
    lines = spreadsheets.CampaignLines(campaign.pk, "", campaign.allow_partial, [])
    return {
        "title": f"Tableur de suivi — {campaign.year_label} — {plan.title}",
        "plan": plan,
        "campaign": campaign,
        "can_upload": perms.can_upload_spreadsheet(request.user, campaign),
        "everything": perms.spreadsheet_fiche_ids(request.user, campaign) is None,
        "csv_sheets": [(key, label) for key, label in CSV_SHEETS.items()],
        "max_mb": MAX_MB,
        # The « Lisez-moi » sheet's advice, without its titles.
        "advice": [
            line.removeprefix("• ")
            for line in spreadsheets.readme_lines(lines)
            if line.startswith("• ")
        ],
        "breadcrumb_data": _crumbs(
            plan,
            (reverse("followup:campaigns", args=[plan.slug]), "Suivi annuel"),
            (dashboard_url, campaign.year_label.capitalize()),
            current="Tableur",
        ),
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def upload(request, slug, year):
    campaign = _campaign(request, slug, year)
    if request.method == "POST" and not perms.can_upload_spreadsheet(request.user, campaign):
        raise PermissionDenied("La campagne est figée : le tableur ne peut plus être envoyé.")
    step = request.POST.get("step", "preview")
    if request.method == "POST" and step == "confirm":
        return _confirm(request, campaign)
    if request.method == "POST" and step == "cancel":
        _discard_pending(request)
        messages.info(request, "Envoi annulé : rien n’a été enregistré.")
        return redirect("followup:spreadsheet", campaign.plan.slug, campaign.year)

    form = UploadForm(request.POST or None, request.FILES or None)
    context = _context(request, campaign, form=form)
    if request.method == "POST" and form.is_valid():
        files = [(f.name, f.read()) for f in form.cleaned_data["files"]]
        submit = form.cleaned_data["submit"]
        reading, _ = spreadsheet_store.read(campaign, request.user, files, submit=submit)
        if reading.errors:
            context["errors"] = reading.errors
        elif not reading.updates:
            context["unchanged"] = True
            context["ignored"] = reading.ignored
            return render(request, "followup/spreadsheet.html", context)
        else:
            token = _store_pending(request, campaign, files, submit)
            return _preview(request, campaign, reading, token, submit)
    status = 400 if request.method == "POST" else 200
    return render(request, "followup/spreadsheet.html", context, status=status)


def _preview(request, campaign, reading: spreadsheets.Reading, token: str, submit: bool):
    context = _context(
        request,
        campaign,
        title=f"Aperçu du tableur — {campaign.year_label} — {campaign.plan.title}",
        updates=reading.updates,
        change_count=sum(len(u.changes) for u in reading.updates),
        ignored=reading.ignored,
        submit=submit,
        token=token,
    )
    return render(request, "followup/spreadsheet_preview.html", context)


def _confirm(request, campaign: Campaign):
    pending, files = _pending_files(request, campaign)
    if pending is None:
        messages.error(request, "Cet aperçu a expiré : envoyez de nouveau le fichier.")
        return redirect("followup:spreadsheet", campaign.plan.slug, campaign.year)
    try:
        # Read again, not trusted from the preview: what changed meanwhile is caught here.
        reading = spreadsheet_store.confirm(campaign, request.user, files, submit=pending["submit"])
    except services.StaleReport:
        _discard_pending(request)
        messages.error(
            request,
            "Une fiche a été enregistrée par quelqu’un d’autre pendant votre confirmation : "
            "rien n’a été enregistré. Envoyez de nouveau le fichier pour voir ce qui a changé.",
        )
        return redirect("followup:spreadsheet", campaign.plan.slug, campaign.year)
    _discard_pending(request)
    if reading.errors:
        context = _context(
            request, campaign, form=UploadForm(), errors=reading.errors, since_preview=True
        )
        return render(request, "followup/spreadsheet.html", context, status=409)
    count = len(reading.updates)
    if pending["submit"]:
        done = "fiches transmises" if count > 1 else "fiche transmise"
    else:
        done = "fiches mises à jour" if count > 1 else "fiche mise à jour"
    numbers = ", ".join(f"n°{u.number}" for u in reading.updates)
    messages.success(
        request,
        f"{count} {done} depuis le tableur ({numbers})."
        if count
        else "Aucune modification : rien n’a été enregistré.",
    )
    return redirect("followup:dashboard", campaign.plan.slug, campaign.year)
