"""The import pages: upload a document, review what it will change (corrections in place), confirm.

The review step every way in shares: what will be created, changed or removed, the flagged points,
then one transaction (`persist.save_draft`).
"""

from __future__ import annotations

import binascii
import hashlib
import secrets
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from pilotis.core.forms import too_big
from pilotis.core.models import Job
from pilotis.core.text import squash
from pilotis.importers import labelmaps, registry, tasks
from pilotis.importers.general.labels import FIELDS as LABEL_FIELDS
from pilotis.importers.models import LabelMapping
from pilotis.importers.persist import save_draft
from pilotis.importers.report import KIND_LABELS as REPORT_LABELS
from pilotis.importers.review import (
    EDITABLE_FIELDS,
    CorrectionError,
    apply_corrections,
    current_value,
    diff_plans,
)
from pilotis.plans import perms
from pilotis.plans.draft import FIELD_LABELS, ParseError, PlanDraft
from pilotis.plans.export import json_source_sha256, plan_from_dict, plan_to_dict
from pilotis.plans.models import Plan
from pilotis.plans.spreadsheet import blank_plan, plan_to_xlsx

# --- Import -------------------------------------------------------------------------------------

PENDING_KEY = "pilotis_pending_import"

# French names of the row kinds `save_draft` reports on, shared with the import command.
KIND_LABELS = {kind: label.capitalize() for kind, (label, _feminine) in REPORT_LABELS.items()}


class UploadForm(forms.Form):
    document = forms.FileField(
        label="Document du contrat ou tableur du plan",
        error_messages={
            "required": "Choisissez le document à importer.",
            "empty": "Le fichier envoyé est vide.",
            "invalid": "Le fichier n’a pas pu être lu.",
        },
    )

    def clean_document(self):
        upload = self.cleaned_data["document"]
        if refusal := too_big(upload):
            raise forms.ValidationError(refusal)
        return upload


def _pending_dir() -> Path:
    return Path(settings.VAR_DIR) / "imports-en-attente"


def pending_path(token: str) -> Path:
    # The token comes back from the session only, but stays a hex name to rule out any path trick.
    try:
        binascii.unhexlify(token)
    except (binascii.Error, TypeError) as exc:
        raise Http404 from exc
    return _pending_dir() / f"{token}.bin"


def _store_pending(request, data: bytes, filename: str, sha256: str) -> str:
    """Keep the uploaded bytes until the coordinator confirms.

    A file on disk rather than the session: the session row is read on every request, and a
    signed contract weighs several megabytes.
    """
    _discard_pending(request)
    directory = _pending_dir()
    directory.mkdir(parents=True, exist_ok=True)
    # Uploads abandoned on the preview page would otherwise pile up.
    cutoff = time.time() - settings.SESSION_COOKIE_AGE
    for old in directory.glob("*.bin"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    pending_path(token).write_bytes(data)
    request.session[PENDING_KEY] = {"token": token, "filename": filename, "sha256": sha256}
    return token


def _discard_pending(request) -> None:
    pending = request.session.pop(PENDING_KEY, None)
    if pending:
        pending_path(pending["token"]).unlink(missing_ok=True)


def draft_summary(draft: PlanDraft) -> dict:
    flags = [
        {
            "fiche": f.number,
            "field": flag.field,
            "field_label": FIELD_LABELS.get(flag.field, flag.field),
            "message": flag.message,
        }
        for f in draft.fiches
        for flag in f.flags
    ]
    return {
        "sections": len(draft.sections),
        "fiches": len(draft.fiches),
        "actions": sum(len(f.actions) for f in draft.fiches),
        "indicators": sum(len(f.indicators) for f in draft.fiches),
        "organisations": len(draft.organisations),
        "unplaced": len(draft.unplaced),
        "flags": flags,
    }


@login_required
@require_safe
def blank_spreadsheet(request):
    """The plan spreadsheet of an empty plan: a new plan written in a spreadsheet, then imported."""
    if not perms.can_import(request.user):
        raise PermissionDenied("Seuls les coordinateurs peuvent importer un plan.")
    response = HttpResponse(
        plan_to_xlsx(blank_plan()),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="modele-plan-pilotis.xlsx"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def import_document(request):
    if not perms.can_import(request.user):
        raise PermissionDenied("Seuls les coordinateurs peuvent importer un plan.")
    step = request.POST.get("step", "upload") if request.method == "POST" else "upload"
    if step == "confirm":
        return _import_confirm(request)
    if step == "correct":
        return _import_correct(request)
    if step == "relabel":
        return _import_relabel(request)
    if step == "save_labels":
        return _import_save_labels(request)
    if step == "cancel":
        _discard_pending(request)
        messages.info(request, "Import annulé : rien n’a été enregistré.")
        return redirect("importers:import")

    form = UploadForm(request.POST or None, request.FILES or None)
    context = {"form": form, "title": "Importer un plan", "max_mb": settings.MAX_UPLOAD_MB}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["document"]
        data = upload.read()
        # A re-uploaded JSON export keeps the hash of the document it came from.
        from_export = upload.name.lower().endswith(".json") and json_source_sha256(data)
        sha256 = from_export or hashlib.sha256(data).hexdigest()
        try:
            preview = _preview_context(data, upload.name, sha256, {}, request.user)
            saved = LabelMapping.fitting(labelmaps.signature(preview["draft"]))
            if saved is not None:
                # A document of a shape a coordinator already mapped: read it that way.
                preview = _preview_context(
                    data, upload.name, sha256, {}, request.user, label_mapping=saved.mapping
                )
                preview["saved_mapping"] = saved
        except ParseError as exc:
            context["parse_error"] = str(exc)
        else:
            token = _store_pending(request, data, upload.name, sha256)
            if saved is not None:
                pending = request.session[PENDING_KEY]
                pending["label_mapping"] = dict(saved.mapping)
                pending["mapping_name"] = saved.name
                request.session[PENDING_KEY] = pending
            return _render_preview(request, preview, token)
    status = 400 if request.method == "POST" else 200
    return render(request, "importers/import.html", context, status=status)


def check_may_replace(user, draft: PlanDraft) -> None:
    """A document whose plan is already stored replaces it: only that plan's coordinators may."""
    existing = Plan.objects.filter(slug=draft.slug).first()
    if existing is not None and not perms.can_edit_plan_content(user, existing):
        raise ParseError(
            "ce document correspond à un plan déjà enregistré dont vous n’êtes pas "
            "coordinateur ou coordinatrice : seule sa coordination peut l’importer de nouveau."
        )


def parse(data: bytes, filename: str, label_mapping: dict | None) -> PlanDraft:
    """The document read, with the coordinator's label mapping when there is one."""
    if label_mapping:
        return registry.parse_document(data, filename, label_mapping=label_mapping)
    return registry.parse_document(data, filename)


def _preview_context(
    data: bytes,
    filename: str,
    sha256: str,
    corrections: dict,
    user,
    label_mapping: dict | None = None,
) -> dict:
    """Everything the preview shows; raises ParseError when the document cannot be imported."""
    parsed = parse(data, filename, label_mapping)
    draft = apply_corrections(parsed, corrections)
    check_may_replace(user, draft)
    # A dry run writes then rolls back: the preview tells exactly what confirming will
    # create, update or delete, and a draft the database would refuse fails here already.
    outcome = save_draft(draft, source_sha256=sha256, dry_run=True)
    existing = Plan.objects.filter(slug=draft.slug).first()
    stored = plan_from_dict(plan_to_dict(existing)) if existing else None
    fiches = {f.number: f for f in draft.fiches}
    editable = [
        {
            "fiche": fiches[flag["fiche"]],
            "field": flag["field"],
            "label": EDITABLE_FIELDS[flag["field"]][0],
            "message": flag["message"],
            "value": current_value(fiches[flag["fiche"]], flag["field"]),
        }
        for flag in draft_summary(draft)["flags"]
        if flag["field"] in EDITABLE_FIELDS and flag["fiche"] in fiches
    ]
    return {
        "draft": draft,
        "summary": draft_summary(draft),
        "diff": diff_plans(stored, draft),
        "changes": [
            (KIND_LABELS.get(kind, kind), counts) for kind, counts in outcome.counts.items()
        ],
        "warnings": outcome.warnings,
        "filename": filename,
        "kind_label": Plan.Kind(draft.kind).label if draft.kind in Plan.Kind.values else draft.kind,
        "existing": existing,
        "editable_flags": editable,
        "editable_fields": [(name, label) for name, (label, _) in EDITABLE_FIELDS.items()],
        "corrections": [
            {**c, "label": FIELD_LABELS.get(c["field"], c["field"])}
            for c in draft.extra.get("corrections", [])
        ],
        "title": f"Aperçu de l’import — {draft.title}",
        "labels_read": labelmaps.labels_read(draft),
        "label_fields": list(LABEL_FIELDS.items()),
        "label_mapping": label_mapping or {},
    }


def _render_preview(request, context: dict, token: str, status: int = 200):
    context["token"] = token
    return render(request, "importers/import_preview.html", context, status=status)


def _pending_or_expired(request) -> tuple[dict | None, bytes | None]:
    pending = request.session.get(PENDING_KEY)
    if not pending or pending.get("token") != request.POST.get("token"):
        return None, None
    try:
        return pending, pending_path(pending["token"]).read_bytes()
    except FileNotFoundError:
        request.session.pop(PENDING_KEY, None)
        return None, None


def _import_correct(request):
    """Apply one correction typed on the preview, then show the preview again."""
    pending, data = _pending_or_expired(request)
    if pending is None:
        messages.error(request, "Cet aperçu a expiré : envoyez de nouveau le document.")
        return redirect("importers:import")
    number = request.POST.get("fiche", "").strip()
    name = request.POST.get("field", "")
    corrections = {k: dict(v) for k, v in pending.get("corrections", {}).items()}
    corrections.setdefault(number, {})[name] = request.POST.get("value", "")
    try:
        context = _preview_context(
            data,
            pending["filename"],
            pending["sha256"],
            corrections,
            request.user,
            label_mapping=pending.get("label_mapping"),
        )
    except CorrectionError as exc:
        context = _preview_context(
            data,
            pending["filename"],
            pending["sha256"],
            pending.get("corrections", {}),
            request.user,
            label_mapping=pending.get("label_mapping"),
        )
        context["correction_error"] = str(exc)
        return _render_preview(request, context, pending["token"], status=400)
    except ParseError as exc:
        _discard_pending(request)
        messages.error(request, f"Le document n’a pas pu être importé : {exc}")
        return redirect("importers:import")
    pending["corrections"] = corrections
    request.session[PENDING_KEY] = pending
    context["correction_done"] = f"Correction enregistrée pour la fiche n°{number}."
    return _render_preview(request, context, pending["token"])


def _import_relabel(request):
    """Read one label of the document as another field, everywhere in the document."""
    pending, data = _pending_or_expired(request)
    if pending is None:
        messages.error(request, "Cet aperçu a expiré : envoyez de nouveau le document.")
        return redirect("importers:import")
    mapping = dict(pending.get("label_mapping") or {})
    canonical = request.POST.get("label", "")
    field = request.POST.get("field", "")
    args = (data, pending["filename"], pending["sha256"], pending.get("corrections", {}))
    try:
        draft = parse(data, pending["filename"], mapping)
        new_mapping = labelmaps.reassign(draft, mapping, canonical, field)
        context = _preview_context(*args, request.user, label_mapping=new_mapping)
    except CorrectionError as exc:
        context = _preview_context(*args, request.user, label_mapping=mapping)
        context["correction_error"] = str(exc)
        return _render_preview(request, context, pending["token"], status=400)
    except ParseError as exc:
        _discard_pending(request)
        messages.error(request, f"Le document n’a pas pu être importé : {exc}")
        return redirect("importers:import")
    pending["label_mapping"] = new_mapping
    request.session[PENDING_KEY] = pending
    label = next(e["label"] for e in labelmaps.labels_read(draft) if e["canonical"] == canonical)
    context["correction_done"] = (
        f"La rubrique « {label} » est maintenant lue comme « {LABEL_FIELDS[field]} » "
        "dans tout le document."
    )
    return _render_preview(request, context, pending["token"])


def _import_save_labels(request):
    """Remember how this document's labels are read, for the next document of its shape."""
    pending, data = _pending_or_expired(request)
    if pending is None:
        messages.error(request, "Cet aperçu a expiré : envoyez de nouveau le document.")
        return redirect("importers:import")
    mapping = pending.get("label_mapping") or {}
    args = (data, pending["filename"], pending["sha256"], pending.get("corrections", {}))
    try:
        context = _preview_context(*args, request.user, label_mapping=mapping)
    except ParseError as exc:
        _discard_pending(request)
        messages.error(request, f"Le document n’a pas pu être importé : {exc}")
        return redirect("importers:import")
    draft = context["draft"]
    if not labelmaps.labels_read(draft):
        context["correction_error"] = (
            "Ce document a un modèle connu : il n’a pas de rubriques à retenir."
        )
        return _render_preview(request, context, pending["token"], status=400)
    name = squash(request.POST.get("name", ""))[:200] or f"Rubriques de « {pending['filename']} »"
    LabelMapping.objects.create(
        name=name,
        labels=labelmaps.signature(draft),
        mapping=labelmaps.full_mapping(draft),
        saved_by=request.user,
    )
    context["correction_done"] = (
        f"Correspondance « {name} » enregistrée : le prochain document de même forme sera lu "
        "ainsi sans correction."
    )
    return _render_preview(request, context, pending["token"])


def _import_confirm(request):
    pending, _ = _pending_or_expired(request)
    if pending is None:
        messages.error(request, "Cet aperçu a expiré : envoyez de nouveau le document.")
        return redirect("importers:import")
    # The import runs in the background (importers.tasks), which removes the pending file.
    del request.session[PENDING_KEY]
    return _after_import(request, tasks.start_import(request.user, pending))


def _after_import(request, job: Job):
    """The plan once imported; the page of the job while it runs; the form if it failed."""
    if job.status == Job.Status.READY:
        messages.success(request, job.result["message"])
        return redirect("plans:overview", slug=job.result["slug"])
    if job.status == Job.Status.FAILED:
        messages.error(request, job.error)
        return redirect("importers:import")
    return redirect("importers:job", job.pk)


def _requested_job(request, job_id) -> Job:
    """An import job, to the coordinator who confirmed it only."""
    job = Job.objects.filter(pk=job_id, kind=tasks.KIND).first()
    if job is None or job.requested_by_id != request.user.pk:
        raise Http404("Import introuvable.")
    return job


@login_required
@require_safe
def job(request, job_id):
    """The page of a confirmed import running in the background."""
    job = _requested_job(request, job_id)
    context = {"job": job, "no_worker": job.waits_for_a_worker(), "stale": job.is_stale()}
    if request.GET.get("etat"):
        return render(request, "importers/_job_status.html", context)
    return render(request, "importers/job.html", {**context, "title": job.title})
