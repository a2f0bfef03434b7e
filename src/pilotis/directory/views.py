"""Pages of a plan's directory of resources: search, entry, edit, FALC, files, verification."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from pilotis.directory import falc, perms, services, tabular
from pilotis.directory.forms import ResourceForm, UploadForm, VerificationForm
from pilotis.directory.models import Category, Public, Resource, VerificationRequest
from pilotis.plans.models import Fiche, Plan


def _plan(request, slug: str) -> Plan:
    plan = get_object_or_404(Plan, slug=slug)
    perms.ensure_can_read(request.user, plan)
    return plan


def _crumbs(plan: Plan, current: str, *, in_directory: bool = True) -> dict:
    links = [{"url": plan.get_absolute_url(), "title": Truncator(plan.title).chars(40)}]
    if in_directory:
        links.append({"url": reverse("directory:index", args=[plan.slug]), "title": "Répertoire"})
    return {"links": links, "current": current}


def _listed(qs):
    return qs.prefetch_related(
        Prefetch("categories", queryset=Category.objects.order_by("position")),
        Prefetch("fiches", queryset=Fiche.objects.only("plan", "number", "title")),
    ).select_related("plan")


@require_safe
def index(request, slug):
    plan = _plan(request, slug)
    filters = services.Filters.from_query(request.GET)
    resources = list(_listed(services.search(plan, filters)))
    return render(
        request,
        "directory/index.html",
        {
            "plan": plan,
            "resources": resources,
            "filters": filters,
            "categories": services.categories(plan),
            "publics": Public.choices,
            "may_edit": perms.can_edit(request.user, plan),
            "query": request.GET.urlencode(),
            "title": f"Répertoire des ressources — {plan.title}",
            "breadcrumb_data": _crumbs(plan, "Répertoire", in_directory=False),
        },
    )


@require_safe
def resource(request, slug, pk):
    plan = _plan(request, slug)
    item = get_object_or_404(_listed(Resource.objects.filter(plan=plan)), pk=pk)
    return render(
        request,
        "directory/resource.html",
        {
            "plan": plan,
            "resource": item,
            "may_edit": perms.can_edit(request.user, plan),
            "title": f"{item.name} — répertoire",
            "breadcrumb_data": _crumbs(plan, Truncator(item.name).chars(50)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, slug, pk=None):
    plan = _plan(request, slug)
    perms.ensure_can_edit(request.user, plan)
    item = get_object_or_404(Resource, plan=plan, pk=pk) if pk else Resource(plan=plan)
    categories = services.categories(plan)
    form = ResourceForm(request.POST or None, instance=item, plan=plan, categories=categories)
    conflict = False
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            stored = Resource.objects.select_for_update().filter(pk=item.pk).first()
            if stored and form.cleaned_data.get("version") != stored.version:
                conflict = True
            else:
                entry = form.save(commit=False)
                if stored:
                    entry.version = stored.version + 1
                services.save(entry, request.user, "Modification" if pk else "Création")
                form.save_m2m()
                services.reindex(entry)
        if not conflict:
            messages.success(request, f"« {entry.name} » est enregistrée dans le répertoire.")
            return redirect(entry.get_absolute_url())
    title = f"Modifier « {item.name} »" if pk else "Ajouter une ressource"
    return render(
        request,
        "directory/edit.html",
        {
            "plan": plan,
            "resource": item,
            "form": form,
            "conflict": conflict,
            "title": title,
            "breadcrumb_data": _crumbs(plan, title),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def delete(request, slug, pk):
    plan = _plan(request, slug)
    perms.ensure_can_edit(request.user, plan)
    item = get_object_or_404(Resource, plan=plan, pk=pk)
    item._history_user = request.user
    item._change_reason = "Suppression"
    item.delete()
    messages.success(request, f"« {item.name} » a été retirée du répertoire.")
    return redirect("directory:index", slug=plan.slug)


@require_safe
def easy_read(request, slug):
    """The FALC sheet (« facile à lire et à comprendre »): same filters, printable."""
    plan = _plan(request, slug)
    filters = services.Filters.from_query(request.GET)
    resources = list(_listed(services.search(plan, filters)))
    return render(
        request,
        "directory/easy_read.html",
        {
            "plan": plan,
            "blocks": [falc.block(r) for r in resources],
            "filters": filters,
            "title": "Les aides près de chez vous",
            "breadcrumb_data": _crumbs(plan, "Version facile à lire"),
        },
    )


@require_safe
def export(request, slug, fmt):
    plan = _plan(request, slug)
    if fmt not in ("csv", "xlsx"):
        raise Http404("Format inconnu : csv ou xlsx.")
    filters = services.Filters.from_query(request.GET)
    records = [services.as_record(r) for r in _listed(services.search(plan, filters))]
    if fmt == "xlsx":
        data = tabular.write_xlsx(records)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        data = tabular.write_csv(records)
        content_type = "text/csv; charset=utf-8"
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="repertoire-{plan.slug}.{fmt}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def upload(request, slug):
    plan = _plan(request, slug)
    perms.ensure_can_edit(request.user, plan)
    form = UploadForm(request.POST or None, request.FILES or None)
    context = {
        "plan": plan,
        "form": form,
        "columns": [label for _name, label in tabular.COLUMNS],
        "title": "Importer des ressources",
        "breadcrumb_data": _crumbs(plan, "Importer"),
    }
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload_file = form.cleaned_data["file"]
            try:
                rows, errors = tabular.read_file(upload_file.read(), upload_file.name)
            except tabular.TableError as exc:
                context["file_error"] = str(exc)
            else:
                if errors:
                    context["errors"] = errors
                else:
                    outcome = services.apply_rows(plan, rows, request.user, upload_file.name)
                    if outcome.errors:
                        context["errors"] = outcome.errors
                    else:
                        messages.success(
                            request,
                            f"Import terminé : {len(outcome.created)} ressource(s) créée(s), "
                            f"{len(outcome.updated)} modifiée(s), "
                            f"{outcome.unchanged} inchangée(s).",
                        )
                        return redirect("directory:index", slug=plan.slug)
    return render(request, "directory/upload.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def stale(request, slug):
    """Entries not verified for a while, and the e-mail asking each structure to check its own."""
    plan = _plan(request, slug)
    perms.ensure_can_edit(request.user, plan)
    if request.method == "POST":
        item = get_object_or_404(Resource, plan=plan, pk=request.POST.get("resource") or 0)
        if not item.email:
            messages.error(request, f"« {item.name} » n’a pas de courriel de structure.")
        else:
            _request, token = VerificationRequest.issue(item, item.email)
            link = request.build_absolute_uri(reverse("directory:verify", args=[token]))
            services.send_verification(item, item.email, link)
            messages.success(request, f"Demande de vérification envoyée à {item.email}.")
        return redirect("directory:stale", slug=plan.slug)
    resources = list(
        Resource.objects.filter(plan=plan)
        .stale()
        .prefetch_related("requests")
        .order_by("verified_on", "name")
    )
    return render(
        request,
        "directory/stale.html",
        {
            "plan": plan,
            "resources": resources,
            "settings_months": settings.DIRECTORY_STALE_MONTHS,
            "title": "Ressources à vérifier",
            "breadcrumb_data": _crumbs(plan, "À vérifier"),
        },
    )


@require_http_methods(["GET", "POST"])
def verify(request, token):
    """The structure's own page, reached from the e-mail: no account, one use."""
    found = (
        VerificationRequest.objects.select_related("resource__plan")
        .filter(token_hash=VerificationRequest.hash(token))
        .first()
    )
    if found is None or found.used_at is not None or found.expired:
        raise Http404("Ce lien n’est plus valable.")
    item = found.resource
    form = VerificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            found.used_at = timezone.now()
            found.answer = form.cleaned_data["answer"]
            found.note = form.cleaned_data.get("note", "")
            found.save()
            if found.answer == "confirmed":
                item.verified_on = timezone.localdate()
                services.save(item, None, f"Confirmée par la structure ({found.sent_to})")
        return render(
            request,
            "directory/verified.html",
            {"resource": item, "answer": found.answer, "title": "Merci"},
        )
    return render(
        request,
        "directory/verify.html",
        {"resource": item, "form": form, "title": f"Vérifier « {item.name} »"},
        status=400 if request.method == "POST" else 200,
    )
