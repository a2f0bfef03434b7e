"""Pages of the plans: thin views that load, call the core and render."""

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
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import Truncator
from django.views.decorators.http import require_http_methods, require_safe

from pilotis.accounts import roles
from pilotis.accounts.models import Role
from pilotis.core.text import fold
from pilotis.importers import registry
from pilotis.importers.draft import FIELD_LABELS, ParseError, PlanDraft
from pilotis.importers.persist import save_draft
from pilotis.importers.report import KIND_LABELS as REPORT_LABELS
from pilotis.importers.review import (
    EDITABLE_FIELDS,
    CorrectionError,
    apply_corrections,
    current_value,
    diff_plans,
)
from pilotis.plans import display, perms, views_links
from pilotis.plans.export import json_source_sha256, plan_from_dict, plan_to_dict, plan_to_json
from pilotis.plans.models import (
    Action,
    Fiche,
    FicheIndicator,
    FicheProgramme,
    FicheRole,
    Organisation,
    Plan,
)

PILOT_ROLES = [FicheRole.Role.PILOT, FicheRole.Role.COPILOT]
SEARCH_LIMIT = 100


def _count_per_fiche(model) -> Coalesce:
    """Number of `model` rows per fiche, as a correlated subquery (no join fan-out)."""
    rows = (
        model.objects.filter(fiche=OuterRef("pk"))
        .order_by()
        .values("fiche")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def _crumb(text: str) -> str:
    return Truncator(text).chars(60)


@require_safe
def index(request):
    plans = (
        perms.visible_plans(request.user)
        .select_related("perimeter")
        .annotate(fiche_count=Count("fiches"))
        .order_by("title")
    )
    return render(request, "plans/index.html", {"plans": plans, "title": "Plans"})


@require_safe
def overview(request, slug):
    plan = get_object_or_404(Plan.objects.select_related("perimeter"), slug=slug)
    user = request.user
    perms.ensure_can_view_plan(user, plan)
    # A partner of an unpublished plan sees its structure and the fiches naming their organisation.
    whole = perms.can_read_whole_plan(user, plan)
    sections = list(plan.sections.order_by("position", "pk"))
    pilots = FicheRole.objects.filter(role__in=PILOT_ROLES).select_related("organisation")
    fiches = list(
        perms.visible_fiches(user, plan)
        .order_by("position", "pk")
        .annotate(
            action_count=_count_per_fiche(Action),
            indicator_count=_count_per_fiche(FicheIndicator),
        )
        .prefetch_related(Prefetch("roles", queryset=pilots, to_attr="pilot_roles"))
        .defer("context", "search_text")
    )
    tree = display.section_tree(sections, fiches, plan.level_name)
    context = {
        "plan": plan,
        "title": plan.title,
        "tree": tree,
        "fiche_count": len(fiches),
        "action_count": sum(f.action_count for f in fiches),
        "indicator_count": sum(f.indicator_count for f in fiches),
        "flagged_count": sum(1 for f in fiches if f.review_flags),
        # A PRS scheme's objectives have no pilots or actions: no columns saying so on each row.
        "shows_followup": plan.kind != Plan.Kind.PRS_SCHEME
        or any(f.action_count or f.pilot_roles for f in fiches),
        "unplaced_count": plan.unplaced_lines.count() if whole else 0,
        "end_year": plan.start_year + plan.duration_years - 1 if plan.start_year else None,
        "breadcrumb_data": {"current": _crumb(plan.title)},
        "reads_whole_plan": whole,
        "can_publish": perms.can_publish(user, plan),
        **(views_links.plan_links_context(plan, user) if whole else {}),
    }
    return render(request, "plans/overview.html", context)


@require_safe
def fiche_detail(request, slug, number):
    fiche = get_object_or_404(
        Fiche.objects.select_related("plan", "plan__perimeter").prefetch_related(
            Prefetch("roles", queryset=FicheRole.objects.select_related("organisation")),
            Prefetch("actions", queryset=Action.objects.order_by("position", "pk")),
            Prefetch("indicators", queryset=FicheIndicator.objects.order_by("position", "pk")),
            Prefetch(
                "programme_links",
                queryset=FicheProgramme.objects.select_related("programme"),
            ),
            Prefetch(
                "linked_fiches",
                queryset=Fiche.objects.order_by("position", "pk").only("number", "title"),
            ),
        ),
        plan__slug=slug,
        number=number,
    )
    plan = fiche.plan
    user = request.user
    perms.ensure_can_view_fiche(user, fiche)
    # "plan" stays loaded: the related manager reads plan_id on each row to attach `plan`.
    sections = list(plan.sections.only("plan", "parent", "depth", "number", "title", "key"))
    chain = display.ancestors(fiche.section_id, sections)
    # Previous and next among the fiches this reader may open.
    siblings = perms.visible_fiches(user, plan).only("plan", "number", "title", "position")
    previous = (
        siblings.filter(
            Q(position__lt=fiche.position) | Q(position=fiche.position, pk__lt=fiche.pk)
        )
        .order_by("-position", "-pk")
        .first()
    )
    following = (
        siblings.filter(
            Q(position__gt=fiche.position) | Q(position=fiche.position, pk__gt=fiche.pk)
        )
        .order_by("position", "pk")
        .first()
    )

    whole = perms.can_read_whole_plan(user, plan)
    linked_fiches = list(fiche.linked_fiches.all())
    if not whole:
        # A partner follows links only to the fiches open to them (one query, partners only).
        open_ids = set(siblings.values_list("pk", flat=True))
        linked_fiches = [f for f in linked_fiches if f.pk in open_ids]
    roles = list(fiche.roles.all())
    for role in roles:
        # "jeunesse" written for "Jeunesse" says nothing new: show only spellings that differ.
        role.shows_as_written = fold(role.as_written) != fold(role.organisation.name)
    actions = list(fiche.actions.all())
    indicators = list(fiche.indicators.all())
    columns = display.year_columns(plan.contract_years, plan.start_year, actions)
    rubrics = display.fiche_rubrics(fiche.extra)
    fiche_calendar = next((r.text for r in rubrics["more"] if r.code == "calendar"), "")
    for action in actions:
        action.cells = display.year_cells(action.deadline_years, columns)
        action.schedule = display.action_schedule(action.extra, fiche_calendar)
    for indicator in indicators:
        indicator.letters_label = display.letters_label(indicator.action_letters)

    overview_url = reverse("plans:overview", args=[plan.slug])
    links = [{"url": overview_url, "title": _crumb(plan.title)}]
    for section in chain:
        label = display.section_label(plan.level_name(section.depth), section.number)
        links.append({"url": f"{overview_url}#section-{section.pk}", "title": _crumb(label)})
    context = {
        "plan": plan,
        "fiche": fiche,
        "title": f"Fiche n°{fiche.number} — {fiche.title}",
        "sections": [(display.section_label(plan.level_name(s.depth), s.number), s) for s in chain],
        "pilots": [r for r in roles if r.role in PILOT_ROLES],
        "partners": [r for r in roles if r.role == FicheRole.Role.PARTNER],
        "context_blocks": display.text_blocks(fiche.context),
        "objective_blocks": display.text_blocks(fiche.strategic_objective),
        "rubrics": rubrics,
        # A PRS scheme's objectives have no pilots, actions or indicators of their own: their
        # pages leave out those rubrics rather than list them as missing.
        "shows_followup": plan.kind != Plan.Kind.PRS_SCHEME,
        "actions": actions,
        "columns": columns,
        "result_indicators": [i for i in indicators if i.kind == FicheIndicator.Kind.RESULT],
        "monitoring_indicators": [
            i for i in indicators if i.kind == FicheIndicator.Kind.MONITORING
        ],
        "flags": display.flag_items(fiche.review_flags),
        "source_lines": display.lines_label(fiche.source_first_line, fiche.source_last_line),
        "previous": previous,
        "following": following,
        "breadcrumb_data": {"links": links, "current": f"Fiche n°{fiche.number}"},
        "reads_whole_plan": whole,
        "linked_fiches": linked_fiches,
        "can_edit_content": perms.can_edit_plan_content(user, plan),
        "can_view_history": perms.can_view_history(user, plan),
        **views_links.fiche_links_context(request, fiche),
    }
    return render(request, "plans/fiche.html", context)


@require_safe
def organisations(request, slug):
    plan = get_object_or_404(Plan, slug=slug)
    perms.ensure_can_read_whole_plan(request.user, plan)
    orgs = plan.organisations.annotate(
        pilot_count=Count(
            "fiche_roles__fiche", filter=Q(fiche_roles__role__in=PILOT_ROLES), distinct=True
        ),
        partner_count=Count(
            "fiche_roles__fiche",
            filter=Q(fiche_roles__role=FicheRole.Role.PARTNER),
            distinct=True,
        ),
    ).order_by("name")
    context = {
        "plan": plan,
        "organisations": orgs,
        "title": f"Organisations — {plan.title}",
        "breadcrumb_data": {
            "links": [{"url": plan.get_absolute_url(), "title": _crumb(plan.title)}],
            "current": "Organisations",
        },
    }
    return render(request, "plans/organisations.html", context)


@require_safe
def organisation_detail(request, slug, key):
    organisation = get_object_or_404(
        Organisation.objects.select_related("plan"), plan__slug=slug, key=key
    )
    plan = organisation.plan
    perms.ensure_can_read_whole_plan(request.user, plan)
    roles = list(
        organisation.fiche_roles.select_related("fiche")
        .only(
            "organisation",  # read by the related manager on each row
            "role",
            "as_written",
            "fiche__number",
            "fiche__title",
            "fiche__position",
        )
        .order_by("fiche__position", "fiche__pk", "position")
    )
    context = {
        "plan": plan,
        "organisation": organisation,
        "roles": roles,
        "pilot_count": len({r.fiche_id for r in roles if r.role in PILOT_ROLES}),
        "partner_count": len({r.fiche_id for r in roles if r.role == FicheRole.Role.PARTNER}),
        "title": f"{organisation.name} — {plan.title}",
        "breadcrumb_data": {
            "links": [
                {"url": plan.get_absolute_url(), "title": _crumb(plan.title)},
                {"url": reverse("plans:organisations", args=[plan.slug]), "title": "Organisations"},
            ],
            "current": _crumb(organisation.name),
        },
    }
    return render(request, "plans/organisation.html", context)


@require_safe
def import_report(request, slug):
    plan = get_object_or_404(Plan, slug=slug)
    perms.ensure_can_read_whole_plan(request.user, plan)
    unplaced = list(plan.unplaced_lines.all())
    # Flags are a JSON list: filtering "non-empty" in SQL differs between SQLite and PostgreSQL,
    # and a plan has at most a few hundred fiches, so the filter runs here.
    fiches = plan.fiches.order_by("position", "pk").only("plan", "number", "title", "review_flags")
    flagged = [(f, display.flag_items(f.review_flags)) for f in fiches if f.review_flags]
    context = {
        "plan": plan,
        "unplaced": unplaced,
        "flagged": flagged,
        "title": f"Rapport d’import — {plan.title}",
        "breadcrumb_data": {
            "links": [{"url": plan.get_absolute_url(), "title": _crumb(plan.title)}],
            "current": "Rapport d’import",
        },
    }
    return render(request, "plans/import_report.html", context)


@require_safe
def export_json(request, slug):
    plan = get_object_or_404(Plan, slug=slug)
    perms.ensure_can_read_whole_plan(request.user, plan)
    # The same text as `pilotis export`, so a downloaded file and a command's output compare equal.
    response = HttpResponse(plan_to_json(plan), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{plan.slug}.json"'
    return response


@require_safe
def search(request):
    query = request.GET.get("q", "").strip()
    plan_slug = request.GET.get("plan", "").strip()
    plans = list(perms.visible_plans(request.user).only("slug", "title").order_by("title"))
    selected_plan = next((p for p in plans if p.slug == plan_slug), None)
    results: list[Fiche] = []
    truncated = False
    if query:
        qs = (
            Fiche.objects.search(query)
            .filter(perms.visible_fiches_filter(request.user))
            .select_related("plan")
            .only(
                "number",
                "title",
                "context",
                "strategic_objective",
                "public",
                "operational_objectives",
                "plan__slug",
                "plan__title",
            )
        )
        if selected_plan:
            qs = qs.filter(plan=selected_plan)
        qs = qs.order_by("plan__title", "position", "pk").prefetch_related(
            Prefetch("actions", queryset=Action.objects.only("fiche", "text", "position"))
        )
        results = list(qs[: SEARCH_LIMIT + 1])
        truncated = len(results) > SEARCH_LIMIT
        results = results[:SEARCH_LIMIT]
        for fiche in results:
            texts = [
                fiche.title,
                fiche.strategic_objective,
                *fiche.operational_objectives,
                *(a.text for a in fiche.actions.all()),
                fiche.public,
                fiche.context,
            ]
            fiche.excerpt = display.excerpt(texts, query)
    context = {
        "query": query,
        "plans": plans,
        "selected_plan": selected_plan,
        "results": results,
        "truncated": truncated,
        "limit": SEARCH_LIMIT,
        "title": f"Recherche « {query} »" if query else "Recherche",
    }
    return render(request, "plans/search.html", context)


# --- Import -------------------------------------------------------------------------------------

PENDING_KEY = "pilotis_pending_import"

# French names of the row kinds `save_draft` reports on, shared with the import command.
KIND_LABELS = {kind: label.capitalize() for kind, (label, _feminine) in REPORT_LABELS.items()}


class UploadForm(forms.Form):
    document = forms.FileField(
        label="Document du contrat",
        error_messages={
            "required": "Choisissez le document à importer.",
            "empty": "Le fichier envoyé est vide.",
            "invalid": "Le fichier n’a pas pu être lu.",
        },
    )

    def clean_document(self):
        upload = self.cleaned_data["document"]
        limit = settings.MAX_UPLOAD_MB * 1024 * 1024
        if upload.size > limit:
            raise forms.ValidationError(
                f"Le fichier pèse {upload.size / (1024 * 1024):.1f} Mo : "
                f"la taille maximale est de {settings.MAX_UPLOAD_MB} Mo."
            )
        return upload


def _pending_dir() -> Path:
    return Path(settings.VAR_DIR) / "imports-en-attente"


def _pending_path(token: str) -> Path:
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
    _pending_path(token).write_bytes(data)
    request.session[PENDING_KEY] = {"token": token, "filename": filename, "sha256": sha256}
    return token


def _discard_pending(request) -> None:
    pending = request.session.pop(PENDING_KEY, None)
    if pending:
        _pending_path(pending["token"]).unlink(missing_ok=True)


def _draft_summary(draft: PlanDraft) -> dict:
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
@require_http_methods(["GET", "POST"])
def import_document(request):
    if not perms.can_import(request.user):
        raise PermissionDenied("Seuls les coordinateurs peuvent importer un plan.")
    step = request.POST.get("step", "upload") if request.method == "POST" else "upload"
    if step == "confirm":
        return _import_confirm(request)
    if step == "correct":
        return _import_correct(request)
    if step == "cancel":
        _discard_pending(request)
        messages.info(request, "Import annulé : rien n’a été enregistré.")
        return redirect("plans:import")

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
        except ParseError as exc:
            context["parse_error"] = str(exc)
        else:
            token = _store_pending(request, data, upload.name, sha256)
            return _render_preview(request, preview, token)
    status = 400 if request.method == "POST" else 200
    return render(request, "plans/import.html", context, status=status)


def _check_may_replace(user, draft: PlanDraft) -> None:
    """A document whose plan is already stored replaces it: only that plan's coordinators may."""
    existing = Plan.objects.filter(slug=draft.slug).first()
    if existing is not None and not perms.can_edit_plan_content(user, existing):
        raise ParseError(
            "ce document correspond à un plan déjà enregistré dont vous n’êtes pas "
            "coordinateur ou coordinatrice : seule sa coordination peut l’importer de nouveau."
        )


def _preview_context(data: bytes, filename: str, sha256: str, corrections: dict, user) -> dict:
    """Everything the preview shows; raises ParseError when the document cannot be imported."""
    draft = apply_corrections(registry.parse_document(data, filename), corrections)
    _check_may_replace(user, draft)
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
        for flag in _draft_summary(draft)["flags"]
        if flag["field"] in EDITABLE_FIELDS and flag["fiche"] in fiches
    ]
    return {
        "draft": draft,
        "summary": _draft_summary(draft),
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
    }


def _render_preview(request, context: dict, token: str, status: int = 200):
    context["token"] = token
    return render(request, "plans/import_preview.html", context, status=status)


def _pending_or_expired(request) -> tuple[dict | None, bytes | None]:
    pending = request.session.get(PENDING_KEY)
    if not pending or pending.get("token") != request.POST.get("token"):
        return None, None
    try:
        return pending, _pending_path(pending["token"]).read_bytes()
    except FileNotFoundError:
        request.session.pop(PENDING_KEY, None)
        return None, None


def _import_correct(request):
    """Apply one correction typed on the preview, then show the preview again."""
    pending, data = _pending_or_expired(request)
    if pending is None:
        messages.error(request, "Cet aperçu a expiré : envoyez de nouveau le document.")
        return redirect("plans:import")
    number = request.POST.get("fiche", "").strip()
    name = request.POST.get("field", "")
    corrections = {k: dict(v) for k, v in pending.get("corrections", {}).items()}
    corrections.setdefault(number, {})[name] = request.POST.get("value", "")
    try:
        context = _preview_context(
            data, pending["filename"], pending["sha256"], corrections, request.user
        )
    except CorrectionError as exc:
        context = _preview_context(
            data,
            pending["filename"],
            pending["sha256"],
            pending.get("corrections", {}),
            request.user,
        )
        context["correction_error"] = str(exc)
        return _render_preview(request, context, pending["token"], status=400)
    except ParseError as exc:
        _discard_pending(request)
        messages.error(request, f"Le document n’a pas pu être importé : {exc}")
        return redirect("plans:import")
    pending["corrections"] = corrections
    request.session[PENDING_KEY] = pending
    context["correction_done"] = f"Correction enregistrée pour la fiche n°{number}."
    return _render_preview(request, context, pending["token"])


def _import_confirm(request):
    pending, data = _pending_or_expired(request)
    if pending is None:
        messages.error(request, "Cet aperçu a expiré : envoyez de nouveau le document.")
        return redirect("plans:import")
    try:
        # Parsing is pure and deterministic: parsing again saves exactly what the preview showed,
        # without trusting anything the browser sends back but the corrections kept server-side.
        draft = registry.parse_document(data, pending["filename"])
        draft = apply_corrections(draft, pending.get("corrections", {}))
        _check_may_replace(request.user, draft)
        # One transaction, all or nothing, recorded in the history with the coordinator's name.
        outcome = save_draft(draft, source_sha256=pending["sha256"], user=request.user)
    except ParseError as exc:
        _discard_pending(request)
        messages.error(request, f"Le document n’a pas pu être importé : {exc}")
        return redirect("plans:import")
    _discard_pending(request)
    if outcome.counts["plan"].created and not roles.is_administrator(request.user):
        # Whoever brings a new plan in coordinates it: it is unpublished, so nobody else sees it.
        roles.grant(request.user, Plan.objects.get(pk=outcome.plan_id), Role.COORDINATOR)
    summary = _draft_summary(draft)
    messages.success(
        request,
        f"Le plan « {draft.title} » a été importé : {summary['fiches']} fiches, "
        f"{summary['actions']} actions, {summary['indicators']} indicateurs.",
    )
    return redirect("plans:overview", slug=draft.slug)
