"""The plan editor's pages: create a plan, then write its sections, fiches and their parts."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import Truncator
from django.views.decorators.http import require_http_methods, require_POST

from pilotis.plans import display, editor, perms
from pilotis.plans.content import VersionConflict, save_content
from pilotis.plans.forms_editor import (
    ActionForm,
    FicheForm,
    FicheLinkForm,
    FichePlaceForm,
    IndicatorForm,
    MergeForm,
    OrganisationForm,
    PlanForm,
    ProgrammeForm,
    RoleForm,
    SectionForm,
)
from pilotis.plans.models import (
    Action,
    Fiche,
    FicheIndicator,
    FicheLink,
    FicheProgramme,
    FicheRole,
    Organisation,
    Plan,
    Section,
)

EDIT_DENIED = "Seuls les coordinateurs du plan peuvent le modifier."
CREATE_DENIED = "Connectez-vous avec un compte actif pour créer un plan."
FICHE_CHANGED = (
    "La fiche a été modifiée pendant que vous la modifiiez : rien n’a été enregistré. "
    "Relisez-la avant de recommencer."
)
PLAN_CHANGED = (
    "Le plan a été modifié pendant que vous le modifiiez (par une autre personne ou dans un "
    "autre onglet) : rien n’a été enregistré. Relisez-le avant de recommencer."
)


def _crumbs(plan: Plan, *links: tuple[str, str], current: str) -> dict:
    items = [{"url": plan.get_absolute_url(), "title": Truncator(plan.title).chars(60)}]
    items += [{"url": url, "title": title} for url, title in links]
    return {"links": items, "current": current}


def _editor_url(plan: Plan) -> str:
    return reverse("plans:editor", args=[plan.slug])


def _parts_url(fiche: Fiche) -> str:
    return reverse("plans:fiche_parts", args=[fiche.plan.slug, fiche.number])


def _plan_for_edit(request, slug: str) -> Plan:
    plan = get_object_or_404(Plan.objects.select_related("perimeter"), slug=slug)
    perms.ensure(perms.can_edit_plan(request.user, plan), request.user, plan, EDIT_DENIED)
    return plan


def _fiche_for_edit(request, slug: str, number: str) -> Fiche:
    fiche = get_object_or_404(Fiche.objects.select_related("plan"), plan__slug=slug, number=number)
    user = request.user
    perms.ensure(perms.can_edit_plan(user, fiche.plan), user, fiche.plan, EDIT_DENIED)
    return fiche


def _apply(request, change: Callable[[], object], success: str) -> bool:
    """Run an editor change; put its outcome in the page's messages. True when it was saved."""
    try:
        change()
    except editor.EditRefused as refusal:
        messages.error(request, refusal.message)
    except VersionConflict:
        messages.error(request, FICHE_CHANGED)
    except editor.PlanChanged:
        messages.error(request, PLAN_CHANGED)
    else:
        messages.success(request, success)
        return True
    return False


def _version(request) -> int:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return 0


# --- The plan -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def plan_create(request):
    if not perms.can_create_plan(request.user):
        raise PermissionDenied(CREATE_DENIED)
    if request.method == "POST":
        form = PlanForm(request.POST, creating=True)
        if form.is_valid():
            plan = editor.create_plan(form.values(), request.user)
            messages.success(
                request,
                f"Le plan « {plan.title} » est créé. Vous en êtes coordinateur·rice ; il n’est "
                "lu que par ses membres tant que vous ne le publiez pas.",
            )
            return redirect("plans:editor", plan.slug)
        status = 400
    else:
        form, status = PlanForm(creating=True), 200
    context = {
        "form": form,
        "title": "Créer un plan",
        "breadcrumb_data": {"current": "Créer un plan"},
    }
    return render(request, "plans/editor/plan_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def plan_settings(request, slug):
    plan = _plan_for_edit(request, slug)
    status = 200
    if request.method == "POST":
        form = PlanForm(request.POST)
        if form.is_valid():
            saved = _apply(
                request,
                lambda: editor.update_plan(
                    plan, form.cleaned_data["version"], form.values(), request.user
                ),
                "Le plan est modifié.",
            )
            if saved:
                return redirect("plans:editor", plan.slug)
            status = 409
        else:
            status = 400
    else:
        form = PlanForm(initial=PlanForm.initial_for(plan))
    context = {
        "plan": plan,
        "form": form,
        "title": f"Modifier le plan « {plan.title} »",
        "breadcrumb_data": _crumbs(
            plan, (_editor_url(plan), "Éditeur"), current="Informations du plan"
        ),
    }
    return render(request, "plans/editor/plan_form.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def plan_editor(request, slug):
    """The plan's structure: sections at any depth, the fiches under each, what to do on each."""
    plan = _plan_for_edit(request, slug)
    sections = list(
        plan.sections.order_by("position", "pk").annotate(
            child_count=Count("children", distinct=True)
        )
    )
    fiches = list(
        plan.fiches.order_by("position", "pk").only(
            "plan", "section", "number", "title", "position", "archived"
        )
    )
    tree = display.section_tree(sections, fiches, plan.level_name)
    siblings: dict[int | None, list[int]] = {}
    for s in sections:
        siblings.setdefault(s.parent_id, []).append(s.pk)
    for node in tree:
        if node.section is not None:
            row = siblings[node.section.parent_id]
            node.first = row[0] == node.section.pk
            node.last = row[-1] == node.section.pk
            node.empty = not node.fiches and not node.section.child_count
    context = {
        "plan": plan,
        "tree": tree,
        "fiche_count": len(fiches),
        "organisation_count": plan.organisations.count(),
        "title": f"Éditeur — {plan.title}",
        "breadcrumb_data": _crumbs(plan, current="Éditeur"),
    }
    return render(request, "plans/editor/plan.html", context)


# --- Sections -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def section_add(request, slug):
    plan = _plan_for_edit(request, slug)
    status = 200
    if request.method == "POST":
        form = SectionForm(request.POST, plan=plan, adding=True)
        if form.is_valid():
            data = form.cleaned_data
            if _apply(
                request,
                lambda: editor.add_section(
                    plan,
                    data["version"],
                    data["parent"],
                    data["number"],
                    data["title"],
                    request.user,
                ),
                f"La section « {data['title'].strip()} » est ajoutée.",
            ):
                return redirect("plans:editor", plan.slug)
            status = 409
        else:
            status = 400
    else:
        parent = plan.sections.filter(pk=request.GET.get("parent") or None).first()
        form = SectionForm(
            plan=plan, adding=True, initial={"parent": parent, "version": plan.version}
        )
    return _section_page(request, plan, form, "Ajouter une section", status)


@login_required
@require_http_methods(["GET", "POST"])
def section_edit(request, slug, pk):
    plan = _plan_for_edit(request, slug)
    section = get_object_or_404(Section, plan=plan, pk=pk)
    status = 200
    if request.method == "POST":
        form = SectionForm(request.POST, plan=plan, adding=False)
        if form.is_valid():
            data = form.cleaned_data
            if _apply(
                request,
                lambda: editor.rename_section(
                    section, data["version"], data["number"], data["title"], request.user
                ),
                "La section est modifiée.",
            ):
                return redirect("plans:editor", plan.slug)
            status = 409
        else:
            status = 400
    else:
        form = SectionForm(
            plan=plan,
            adding=False,
            initial={"number": section.number, "title": section.title, "version": plan.version},
        )
    return _section_page(request, plan, form, "Modifier une section", status)


def _section_page(request, plan: Plan, form, title: str, status: int):
    context = {
        "plan": plan,
        "form": form,
        "title": title,
        "breadcrumb_data": _crumbs(plan, (_editor_url(plan), "Éditeur"), current=title),
    }
    return render(request, "plans/editor/section_form.html", context, status=status)


@login_required
@require_POST
def section_action(request, slug, pk, operation):
    plan = _plan_for_edit(request, slug)
    section = get_object_or_404(Section.objects.select_related("plan"), plan=plan, pk=pk)
    version, user = _version(request), request.user
    if operation in (editor.UP, editor.DOWN):
        _apply(
            request,
            lambda: editor.move_section(section, version, operation, user),
            f"La section « {section} » est déplacée.",
        )
    elif operation == "remove":
        _apply(
            request,
            lambda: editor.remove_section(section, version, user),
            f"La section « {section} » est supprimée.",
        )
    else:
        raise Http404("Opération inconnue.")
    return redirect(f"{_editor_url(plan)}#section-{section.pk}")


# --- Fiches -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def fiche_add(request, slug):
    plan = _plan_for_edit(request, slug)
    status = 200
    if request.method == "POST":
        form = FicheForm(request.POST, plan=plan)
        if form.is_valid():
            data = form.cleaned_data
            created: list[Fiche] = []
            if _apply(
                request,
                lambda: created.append(
                    editor.add_fiche(
                        plan, data["version"], data["section"], form.values(), request.user
                    )
                ),
                f"La fiche n°{data['number']} est créée.",
            ):
                return redirect(_parts_url(created[0]))
            status = 409
        else:
            status = 400
    else:
        section = plan.sections.filter(pk=request.GET.get("section") or None).first()
        form = FicheForm(plan=plan, initial={"section": section, "version": plan.version})
    context = {
        "plan": plan,
        "form": form,
        "title": "Ajouter une fiche",
        "breadcrumb_data": _crumbs(
            plan, (_editor_url(plan), "Éditeur"), current="Ajouter une fiche"
        ),
    }
    return render(request, "plans/editor/fiche_form.html", context, status=status)


def _parts_context(fiche: Fiche, forms: dict | None = None) -> dict:
    """What the fiche's parts page shows: its actions, roles, indicators and links, with forms."""
    plan = fiche.plan
    actions = list(fiche.actions.order_by("position", "pk"))
    indicators = list(fiche.indicators.order_by("kind", "position", "pk"))
    roles = list(fiche.roles.select_related("organisation").order_by("position", "pk"))
    links = list(
        FicheLink.objects.filter(from_fiche=fiche)
        .select_related("to_fiche")
        .only("to_fiche__number", "to_fiche__title", "from_fiche_id")
        .order_by("to_fiche__position")
    )
    programmes = list(fiche.programme_links.select_related("programme").order_by("position", "pk"))
    for action in actions:
        action.years_label = ", ".join(
            f"année {y}" + (f" ({plan.start_year + y - 1})" if plan.start_year else "")
            for y in action.deadline_years
        )
    for indicator in indicators:
        indicator.letters_label = display.letters_label(indicator.action_letters)
    version = {"version": fiche.version}
    forms = forms or {}
    return {
        "plan": plan,
        "fiche": fiche,
        "actions": actions,
        "indicators": indicators,
        "roles": roles,
        "links": links,
        "programmes": programmes,
        "place_form": forms.get("place")
        or FichePlaceForm(
            plan=plan, initial={**version, "number": fiche.number, "section": fiche.section_id}
        ),
        "action_form": forms.get("action") or ActionForm(plan=plan, initial=version),
        "role_form": forms.get("role") or RoleForm(plan=plan, initial=version),
        "indicator_form": forms.get("indicator")
        or IndicatorForm(fiche=fiche, actions=actions, initial=version),
        "link_form": forms.get("link") or FicheLinkForm(fiche=fiche, initial=version),
        "programme_form": forms.get("programme") or ProgrammeForm(initial=version),
        "title": f"Éléments de la fiche n°{fiche.number}",
        "breadcrumb_data": _crumbs(
            plan,
            (_editor_url(plan), "Éditeur"),
            (fiche.get_absolute_url(), f"Fiche n°{fiche.number}"),
            current="Éléments",
        ),
    }


@login_required
@require_http_methods(["GET"])
def fiche_parts(request, slug, number):
    fiche = _fiche_for_edit(request, slug, number)
    return render(request, "plans/editor/fiche_parts.html", _parts_context(fiche))


# Each form of the parts page: its class, its extra arguments, the change it makes, its message.
def _add_action(fiche, data, user):
    return editor.add_action(
        fiche, data["version"], data["letter"], data["text"], data["deadline_years"], user
    )


def _add_role(fiche, data, user, form):
    return editor.add_role(
        fiche, data["version"], data["role"], data["organisation"], form.new_organisation(), user
    )


@login_required
@require_POST
def fiche_part_add(request, slug, number, part):
    """Add an action, a role, an indicator, a link or a programme from the fiche's parts page."""
    fiche = _fiche_for_edit(request, slug, number)
    plan, user = fiche.plan, request.user
    if part == "action":
        form = ActionForm(request.POST, plan=plan)
        change = lambda d: _add_action(fiche, d, user)  # noqa: E731
        done = "L’action est ajoutée."
    elif part == "role":
        form = RoleForm(request.POST, plan=plan)
        change = lambda d: _add_role(fiche, d, user, form)  # noqa: E731
        done = "L’organisation est ajoutée à la fiche."
    elif part == "indicator":
        form = IndicatorForm(request.POST, fiche=fiche)
        change = lambda d: editor.add_indicator(  # noqa: E731
            fiche, d["version"], d["kind"], d["text"], d["action_letters"], user
        )
        done = "L’indicateur est ajouté."
    elif part == "link":
        form = FicheLinkForm(request.POST, fiche=fiche)
        change = lambda d: editor.add_fiche_link(fiche, d["version"], d["target"], user)  # noqa: E731
        done = "Le lien vers l’autre fiche est ajouté."
    elif part == "programme":
        form = ProgrammeForm(request.POST)
        change = lambda d: editor.add_programme(  # noqa: E731
            fiche, d["version"], d["programme"], d["new_name"], user
        )
        done = "Le programme lié est ajouté."
    elif part == "place":
        form = FichePlaceForm(request.POST, plan=plan)
        change = lambda d: _place(fiche, d, user)  # noqa: E731
        done = "Le numéro et la section de la fiche sont enregistrés."
    else:
        raise Http404("Élément inconnu.")
    if form.is_valid():
        # Saved or refused (its message says which), the parts page shows the outcome.
        _apply(request, lambda: change(form.cleaned_data), done)
        return redirect(_parts_url(fiche))
    context = _parts_context(fiche, {part: form})
    context["form_error"] = part
    return render(request, "plans/editor/fiche_parts.html", context, status=400)


def _place(fiche: Fiche, data: dict, user) -> None:
    editor.check_fiche_number(fiche.plan, data["number"], fiche)
    changed = save_content(
        fiche,
        data["version"],
        {"number": data["number"], "section": data["section"]},
        user,
        "Numéro ou section de la fiche",
    )
    if "section" in changed:
        editor.after_fiche_moved(fiche, user)


@login_required
@require_POST
def fiche_part_action(request, slug, number, part, pk, operation):
    """Move, remove, archive or bring back one part of the fiche."""
    fiche = _fiche_for_edit(request, slug, number)
    version, user = _version(request), request.user
    models = {
        "action": Action,
        "indicator": FicheIndicator,
        "role": FicheRole,
        "link": FicheLink,
        "programme": FicheProgramme,
    }
    if part not in models:
        raise Http404("Élément inconnu.")
    owner = "from_fiche" if part == "link" else "fiche"
    row = get_object_or_404(models[part].objects.select_related(owner), pk=pk, **{owner: fiche})
    operations: dict[tuple[str, str], tuple[Callable[[], object], str]] = {
        ("action", "up"): (
            lambda: editor.move_action(row, version, "up", user),
            "Action déplacée.",
        ),
        ("action", "down"): (
            lambda: editor.move_action(row, version, "down", user),
            "Action déplacée.",
        ),
        ("action", "remove"): (
            lambda: editor.remove_action(row, version, user),
            "L’action est supprimée.",
        ),
        ("action", "archive"): (
            lambda: editor.set_action_archived(row, version, True, user),
            "L’action est archivée : elle n’est plus attendue dans les campagnes suivantes.",
        ),
        ("action", "unarchive"): (
            lambda: editor.set_action_archived(row, version, False, user),
            "L’action est de nouveau en cours.",
        ),
        ("indicator", "remove"): (
            lambda: editor.remove_indicator(row, version, user),
            "L’indicateur est supprimé.",
        ),
        ("indicator", "archive"): (
            lambda: editor.set_indicator_archived(row, version, True, user),
            "L’indicateur est archivé : il n’est plus demandé dans les campagnes suivantes.",
        ),
        ("indicator", "unarchive"): (
            lambda: editor.set_indicator_archived(row, version, False, user),
            "L’indicateur est de nouveau en cours.",
        ),
        ("role", "remove"): (
            lambda: editor.remove_role(row, version, user),
            "L’organisation est retirée de la fiche.",
        ),
        ("link", "remove"): (
            lambda: editor.remove_fiche_link(row, version, user),
            "Le lien est retiré.",
        ),
        ("programme", "remove"): (
            lambda: editor.remove_programme(row, version, user),
            "Le programme lié est retiré.",
        ),
    }
    if (part, operation) not in operations:
        raise Http404("Opération inconnue.")
    change, done = operations[(part, operation)]
    _apply(request, change, done)
    return redirect(_parts_url(fiche))


@login_required
@require_http_methods(["GET", "POST"])
def action_edit(request, slug, number, pk):
    fiche = _fiche_for_edit(request, slug, number)
    action = get_object_or_404(Action.objects.select_related("fiche__plan"), pk=pk, fiche=fiche)
    status = 200
    if request.method == "POST":
        form = ActionForm(request.POST, plan=fiche.plan)
        if form.is_valid():
            d = form.cleaned_data
            if _apply(
                request,
                lambda: editor.update_action(
                    action, d["version"], d["letter"], d["text"], d["deadline_years"], request.user
                ),
                "L’action est modifiée.",
            ):
                return redirect(_parts_url(fiche))
            status = 409
        else:
            status = 400
    else:
        form = ActionForm(
            plan=fiche.plan,
            initial={
                "letter": action.letter,
                "text": action.text,
                "deadline_years": action.deadline_years,
                "version": fiche.version,
            },
        )
    return _part_page(request, fiche, form, f"Modifier l’action {action.letter}", status)


@login_required
@require_http_methods(["GET", "POST"])
def indicator_edit(request, slug, number, pk):
    fiche = _fiche_for_edit(request, slug, number)
    indicator = get_object_or_404(
        FicheIndicator.objects.select_related("fiche__plan"), pk=pk, fiche=fiche
    )
    status = 200
    if request.method == "POST":
        form = IndicatorForm(request.POST, fiche=fiche)
        if form.is_valid():
            d = form.cleaned_data
            if _apply(
                request,
                lambda: editor.update_indicator(
                    indicator, d["version"], d["kind"], d["text"], d["action_letters"], request.user
                ),
                "L’indicateur est modifié.",
            ):
                return redirect(_parts_url(fiche))
            status = 409
        else:
            status = 400
    else:
        form = IndicatorForm(
            fiche=fiche,
            initial={
                "kind": indicator.kind,
                "text": indicator.text,
                "action_letters": indicator.action_letters,
                "version": fiche.version,
            },
        )
    return _part_page(request, fiche, form, "Modifier un indicateur", status)


def _part_page(request, fiche: Fiche, form, title: str, status: int):
    plan = fiche.plan
    context = {
        "plan": plan,
        "fiche": fiche,
        "form": form,
        "title": title,
        "breadcrumb_data": _crumbs(
            plan,
            (_editor_url(plan), "Éditeur"),
            (_parts_url(fiche), f"Éléments de la fiche n°{fiche.number}"),
            current=title,
        ),
    }
    return render(request, "plans/editor/part_form.html", context, status=status)


@login_required
@require_POST
def fiche_remove(request, slug, number):
    fiche = _fiche_for_edit(request, slug, number)
    version, user = _version(request), request.user
    operation = request.POST.get("operation")
    if operation == "remove":
        if _apply(
            request,
            lambda: editor.remove_fiche(fiche, version, user),
            f"La fiche n°{fiche.number} est supprimée.",
        ):
            return redirect("plans:editor", fiche.plan.slug)
    elif operation in ("archive", "unarchive"):
        archived = operation == "archive"
        _apply(
            request,
            lambda: editor.set_fiche_archived(fiche, version, archived, user),
            f"La fiche n°{fiche.number} est archivée : elle quitte le plan en cours et les "
            "campagnes suivantes, ses rapports passés restent."
            if archived
            else f"La fiche n°{fiche.number} est de nouveau en cours.",
        )
    else:
        raise Http404("Opération inconnue.")
    return redirect(_parts_url(fiche))


# --- Organisations ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def organisations_editor(request, slug):
    """The plan's organisations, each with the fiches naming it, and the merge form."""
    plan = _plan_for_edit(request, slug)
    status = 200
    if request.method == "POST":
        form = MergeForm(request.POST, plan=plan)
        if form.is_valid():
            d = form.cleaned_data
            if _apply(
                request,
                lambda: editor.merge_organisations(
                    d["keep"], d["drop"], d["version"], request.user
                ),
                f"« {d['drop'].name} » est fusionnée dans « {d['keep'].name} » : ses rôles, "
                "membres et invitations la suivent.",
            ):
                return redirect("plans:organisations_editor", plan.slug)
            status = 409
        else:
            status = 400
    else:
        form = MergeForm(plan=plan, initial={"version": plan.version})
    organisations = plan.organisations.order_by("name").annotate(role_count=Count("fiche_roles"))
    context = {
        "plan": plan,
        "organisations": organisations,
        "form": form,
        "title": f"Organisations — {plan.title}",
        "breadcrumb_data": _crumbs(plan, (_editor_url(plan), "Éditeur"), current="Organisations"),
    }
    return render(request, "plans/editor/organisations.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request, slug, key):
    plan = _plan_for_edit(request, slug)
    organisation = get_object_or_404(
        Organisation.objects.select_related("plan"), plan=plan, key=key
    )
    status = 200
    if request.method == "POST":
        form = OrganisationForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            if _apply(
                request,
                lambda: editor.update_organisation(
                    organisation, d["version"], d["name"], d["acronym"], d["aliases"], request.user
                ),
                "L’organisation est modifiée.",
            ):
                return redirect("plans:organisations_editor", plan.slug)
            status = 409
        else:
            status = 400
    else:
        form = OrganisationForm(
            initial={
                "name": organisation.name,
                "acronym": organisation.acronym,
                "aliases": "\n".join(organisation.aliases),
                "version": plan.version,
            }
        )
    title = f"Modifier l’organisation « {organisation.name} »"
    context = {
        "plan": plan,
        "form": form,
        "title": title,
        "breadcrumb_data": _crumbs(
            plan,
            (_editor_url(plan), "Éditeur"),
            (reverse("plans:organisations_editor", args=[plan.slug]), "Organisations"),
            current="Modifier",
        ),
    }
    return render(request, "plans/editor/section_form.html", context, status=status)
