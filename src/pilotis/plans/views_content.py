"""Coordinators' changes to a plan: publication, a fiche's content, its history and restores."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import Truncator
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from pilotis.core.forms import NoControlCharacters
from pilotis.plans import content, history, perms
from pilotis.plans.models import Fiche, Plan

EDIT_DENIED = "Seuls les coordinateurs du plan peuvent modifier ses fiches."
HISTORY_DENIED = "L’historique des fiches est réservé à la coordination et au COPIL du plan."
PUBLISH_DENIED = "Seuls les coordinateurs du plan peuvent le publier."


def _crumbs(fiche: Fiche, current: str) -> dict:
    plan = fiche.plan
    return {
        "links": [
            {"url": plan.get_absolute_url(), "title": Truncator(plan.title).chars(60)},
            {"url": fiche.get_absolute_url(), "title": f"Fiche n°{fiche.number}"},
        ],
        "current": current,
    }


def _fiche(slug: str, number: str) -> Fiche:
    return get_object_or_404(Fiche.objects.select_related("plan"), plan__slug=slug, number=number)


# --- Publication --------------------------------------------------------------------------------


@login_required
@require_POST
def publication(request, slug):
    plan = get_object_or_404(Plan, slug=slug)
    perms.ensure(perms.can_publish(request.user, plan), request.user, plan, PUBLISH_DENIED)
    publish = request.POST.get("published") == "1"
    if content.set_published(plan, publish, request.user):
        if publish:
            messages.success(request, "Le plan est publié : tout le monde peut le lire.")
        else:
            messages.success(request, "Le plan n’est plus publié : seuls ses membres le lisent.")
    return redirect(plan)


# --- Editing a fiche's content ------------------------------------------------------------------


def _textarea(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"class": "fr-input", "rows": rows})


class FicheContentForm(NoControlCharacters, forms.Form):
    """The fiche's own texts, with the version they were read at (optimistic concurrency)."""

    title = forms.CharField(
        label="Intitulé",
        widget=_textarea(2),
        error_messages={"required": "L’intitulé de la fiche est obligatoire."},
    )
    pilotage_label = forms.CharField(
        label="Libellé du pilotage",
        help_text="Tel que la fiche l’écrit, par exemple « pilotage » ou « co-pilotage ».",
        max_length=Fiche._meta.get_field("pilotage_label").max_length,
        required=False,
        widget=forms.TextInput(attrs={"class": "fr-input"}),
        error_messages={
            "max_length": "Le libellé du pilotage tient en %(limit_value)d caractères."
        },
    )
    context = forms.CharField(label="Contexte", required=False, widget=_textarea(8))
    strategic_objective = forms.CharField(
        label="Objectif stratégique", required=False, widget=_textarea(3)
    )
    operational_objectives = forms.CharField(
        label="Objectifs opérationnels",
        help_text="Un objectif par ligne.",
        required=False,
        widget=_textarea(5),
    )
    public = forms.CharField(label="Public cible", required=False, widget=_textarea(2))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    @classmethod
    def initial_for(cls, fiche: Fiche) -> dict:
        initial = {name: getattr(fiche, name) for name in content.EDITABLE_FIELDS}
        initial["operational_objectives"] = "\n".join(fiche.operational_objectives)
        initial["version"] = fiche.version
        return initial

    def clean_operational_objectives(self) -> list[str]:
        lines = self.cleaned_data["operational_objectives"].splitlines()
        return [line.strip() for line in lines if line.strip()]

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in content.EDITABLE_FIELDS}


@login_required
@require_http_methods(["GET", "POST"])
def fiche_edit(request, slug, number):
    fiche = _fiche(slug, number)
    user = request.user
    perms.ensure(perms.can_edit_plan_content(user, fiche.plan), user, fiche.plan, EDIT_DENIED)
    conflicts: list[content.Conflict] = []
    status = 200
    if request.method == "POST":
        form = FicheContentForm(request.POST)
        if form.is_valid():
            try:
                changed = content.save_content(
                    fiche,
                    form.cleaned_data["version"],
                    form.values(),
                    user,
                    "Modification de la fiche",
                )
            except content.VersionConflict as conflict:
                conflicts = conflict.conflicts
                # The typed text stays in the form; its version becomes the stored one, so that
                # saving again, after reading what changed, is a deliberate choice.
                data = request.POST.copy()
                data["version"] = conflict.fiche.version
                form = FicheContentForm(data)
                form.is_valid()
                status = 409
            else:
                if changed:
                    messages.success(request, f"La fiche n°{fiche.number} a été modifiée.")
                else:
                    messages.info(request, "Aucune modification : la fiche est inchangée.")
                return redirect(fiche)
        else:
            status = 400
    else:
        form = FicheContentForm(initial=FicheContentForm.initial_for(fiche))
    context = {
        "plan": fiche.plan,
        "fiche": fiche,
        "form": form,
        "conflicts": conflicts,
        "title": f"Modifier la fiche n°{fiche.number}",
        "breadcrumb_data": _crumbs(fiche, "Modifier"),
    }
    return render(request, "plans/fiche_edit.html", context, status=status)


# --- History and restores -----------------------------------------------------------------------


@login_required
@require_safe
def fiche_history(request, slug, number):
    fiche = _fiche(slug, number)
    user = request.user
    perms.ensure(perms.can_view_history(user, fiche.plan), user, fiche.plan, HISTORY_DENIED)
    context = {
        "plan": fiche.plan,
        "fiche": fiche,
        "change_sets": history.fiche_history(fiche),
        "can_restore": perms.can_edit_plan_content(user, fiche.plan),
        "title": f"Historique de la fiche n°{fiche.number}",
        "breadcrumb_data": _crumbs(fiche, "Historique"),
    }
    return render(request, "plans/fiche_history.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def fiche_restore(request, slug, number, history_id):
    fiche = _fiche(slug, number)
    user = request.user
    perms.ensure(perms.can_edit_plan_content(user, fiche.plan), user, fiche.plan, EDIT_DENIED)
    record = history.fiche_record(fiche, history_id)
    if record is None or record.history_type == "-":
        raise Http404("Version introuvable.")
    history_url = reverse("plans:fiche_history", args=[fiche.plan.slug, fiche.number])
    if request.method == "POST":
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = 0
        try:
            changed = content.restore(fiche, record, version, user)
        except content.VersionConflict:
            messages.error(
                request,
                "La fiche a été modifiée depuis l’affichage de la confirmation : rien n’a été "
                "restauré. Relisez l’historique avant de recommencer.",
            )
            return redirect(history_url)
        if changed:
            messages.success(request, "La version choisie de la fiche a été restaurée.")
        else:
            messages.info(request, "La fiche est déjà dans cet état : rien n’a changé.")
        return redirect(fiche)
    context = {
        "plan": fiche.plan,
        "fiche": fiche,
        "record": record,
        "changes": history.restore_preview(fiche, record),
        "history_url": history_url,
        "title": f"Restaurer une version de la fiche n°{fiche.number}",
        "breadcrumb_data": _crumbs(fiche, "Restaurer une version"),
    }
    return render(request, "plans/fiche_restore.html", context)
