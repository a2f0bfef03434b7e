"""The partnership pages: an organisation's type and contact point, who is involved in which
section, and the fiche × organisation matrix (XLSX)."""

from __future__ import annotations

import io

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from pilotis.core.cells import xlsx_value
from pilotis.core.forms import Dsfr, NoControlCharacters
from pilotis.plans import partners, perms
from pilotis.plans.models import Fiche, FicheRole, Organisation, Plan, Section


class OrganisationForm(NoControlCharacters, Dsfr, forms.ModelForm):
    website = forms.URLField(label="Site internet", required=False, assume_scheme="https")

    class Meta:
        model = Organisation
        fields = ["kind", "contact_email", "contact_phone", "website"]
        help_texts = {
            "contact_email": "L’adresse d’un service ou d’un accueil, jamais celle d’une personne.",
            "contact_phone": "Un standard ou un accueil, jamais le numéro d’une personne.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dsfr()


@login_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request, slug, key):
    organisation = get_object_or_404(
        Organisation.objects.select_related("plan"), plan__slug=slug, key=key
    )
    plan = organisation.plan
    perms.ensure(
        perms.can_edit_plan_content(request.user, plan),
        request.user,
        plan,
        "Seule la coordination du plan décrit ses organisations.",
    )
    initial = {}
    if not organisation.kind:
        initial["kind"] = partners.guess_kind(organisation.name, organisation.acronym)
    form = OrganisationForm(request.POST or None, instance=organisation, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved._history_user = request.user
        saved._change_reason = "Type et contact de l’organisation"
        saved.save()
        messages.success(request, f"« {saved.name} » est enregistrée.")
        return redirect(saved.get_absolute_url())
    return render(
        request,
        "plans/organisation_edit.html",
        {
            "plan": plan,
            "organisation": organisation,
            "form": form,
            "guessed": bool(initial.get("kind")),
            "title": f"Type et contact — {organisation.name}",
        },
        status=400 if request.method == "POST" else 200,
    )


def _involvements(plan: Plan) -> list[partners.Involvement]:
    """Every role of the plan with its fiche's top-level section (two queries)."""
    sections = {s.pk: s for s in Section.objects.filter(plan=plan).only("pk", "parent_id")}

    def top(section_id: int | None) -> int | None:
        while section_id is not None and sections[section_id].parent_id is not None:
            section_id = sections[section_id].parent_id
        return section_id

    rows = FicheRole.objects.filter(fiche__plan=plan, fiche__archived=False).values_list(
        "organisation_id", "fiche_id", "fiche__section_id", "role"
    )
    return [partners.Involvement(o, f, top(s), r) for o, f, s, r in rows]


@require_safe
def partnership(request, slug):
    plan = get_object_or_404(Plan, slug=slug)
    perms.ensure_can_read_whole_plan(request.user, plan)
    involvements = _involvements(plan)
    top_sections = list(Section.objects.filter(plan=plan, parent=None).order_by("position", "pk"))
    organisations = {o.pk: o for o in Organisation.objects.filter(plan=plan)}
    for organisation in organisations.values():
        organisation.plan = plan  # their links need the plan's slug: no query per row
    rows = [
        (
            organisations[row.organisation_id],
            row,
            [row.by_section.get(s.pk, 0) for s in top_sections],
            row.by_section.get(None, 0),
        )
        for row in partners.involvement_by_section(involvements)
    ]
    kinds = dict(Organisation.Kind.choices)
    by_kind: dict[str, int] = {}
    for organisation in organisations.values():
        label = kinds.get(organisation.kind) or "Type non renseigné"
        by_kind[label] = by_kind.get(label, 0) + 1
    return render(
        request,
        "plans/partnership.html",
        {
            "plan": plan,
            "sections": top_sections,
            "rows": rows,
            "outside": any(r[3] for r in rows),
            "by_kind": sorted(by_kind.items(), key=lambda kv: -kv[1]),
            "title": f"Partenariat — {plan.title}",
            "breadcrumb_data": {
                "links": [{"url": plan.get_absolute_url(), "title": plan.title[:40]}],
                "current": "Partenariat",
            },
        },
    )


@require_safe
def matrix_xlsx(request, slug):
    plan = get_object_or_404(Plan, slug=slug)
    perms.ensure_can_read_whole_plan(request.user, plan)
    involvements = _involvements(plan)
    used = {row.organisation_id for row in involvements}
    organisations = [
        (o.pk, o.name)
        for o in Organisation.objects.filter(plan=plan).order_by("name")
        if o.pk in used
    ]
    fiches = list(
        Fiche.objects.filter(plan=plan, archived=False)
        .order_by("position", "pk")
        .values_list("pk", "number", "title")
    )
    table = partners.matrix(fiches, organisations, involvements)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Fiches × organisations"
    for r, row in enumerate(table, start=1):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(r, c)
            xlsx_value(cell, value)
            if r == 1:
                cell.font = Font(bold=True)
                cell.alignment = Alignment(text_rotation=60 if c > 2 else 0, wrap_text=c <= 2)
    sheet.column_dimensions["B"].width = 50
    for c in range(3, len(organisations) + 3):
        sheet.column_dimensions[get_column_letter(c)].width = 6
    sheet.freeze_panes = "C2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="partenariat-{plan.slug}.xlsx"'
    return response
