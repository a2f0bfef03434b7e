"""The « Pondération » page: the weights of a plan's sections and fiches in the roll-ups.

Members read it; coordinators and administrators set the weights, preview each fiche's
resulting weight in the contract (computed by the roll-ups' own code) and save them all at once.
Refusals as on the other follow-up pages (views.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from pilotis.followup import perms, rollups, weights
from pilotis.followup.views import _crumbs, _followed_plan
from pilotis.followup.weights import DEFAULT, FICHE, SECTION, Key
from pilotis.plans.models import Fiche, Plan, Section

SAVE, PREVIEW, RESET = "save", "preview", "reset"


@dataclass(frozen=True)
class Node:
    """A section or a fiche of the plan, as a row of the weights table."""

    key: Key
    depth: int  # indentation: a fiche sits one level below its section
    label: str  # what the row header says: « Ambition 1 — … », « Fiche n°2 — … »
    field_label: str  # the same with the title in quotes: input label, messages
    section_id: int | None  # a fiche's section
    parent_id: int | None  # a section's parent

    @property
    def name(self) -> str:
        return f"{self.key[0]}-{self.key[1]}"

    @property
    def seen_name(self) -> str:
        return f"{self.name}-seen"

    @property
    def is_section(self) -> bool:
        return self.key[0] == SECTION

    @property
    def indent(self) -> str:
        """A DSFR spacing class (they stop at 12w): the tree's shape without inline styles."""
        return f"fr-pl-{min(2 * self.depth, 12)}w" if self.depth else ""


def _tree(plan: Plan) -> list[Node]:
    """Sections depth-first in their order, each followed by its own fiches then its subsections;
    fiches outside any section last. Two queries."""
    sections = list(
        Section.objects.filter(plan=plan)
        .order_by("position", "pk")
        .values_list("pk", "parent_id", "depth", "number", "title")
    )
    fiches = list(
        Fiche.objects.filter(plan=plan)
        .order_by("position", "pk")
        .values_list("pk", "section_id", "number", "title")
    )
    children: dict[int | None, list[tuple]] = {}
    for row in sections:
        children.setdefault(row[1], []).append(row)
    fiches_of: dict[int | None, list[tuple]] = {}
    for row in fiches:
        fiches_of.setdefault(row[1], []).append(row)
    known = {row[0] for row in sections}

    def fiche_node(row: tuple, depth: int) -> Node:
        pk, section_id, number, title = row
        label = f"Fiche n°{number} — {title}"
        return Node((FICHE, pk), depth, label, f"Fiche n°{number} « {title} »", section_id, None)

    def walk(parent: int | None, depth: int) -> Iterator[Node]:
        for pk, parent_id, level, number, title in children.get(parent, ()):
            name = " ".join(p for p in (plan.level_name(level), number) if p)
            yield Node(
                (SECTION, pk),
                depth,
                f"{name} — {title}",
                f"{name} « {title} »",
                None,
                parent_id,
            )
            yield from (fiche_node(row, depth + 1) for row in fiches_of.get(pk, ()))
            yield from walk(pk, depth + 1)

    nodes = list(walk(None, 0))
    # A fiche whose section is missing from the tree is shown with those outside any section.
    nodes += [fiche_node(row, 0) for row in fiches if row[1] not in known]
    return nodes


class WeightsForm(forms.Form):
    """One text input per section and fiche: weights are typed the French way (« 0,5 »)."""

    def __init__(self, nodes: list[Node], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.nodes = nodes
        for node in nodes:
            field = forms.CharField(
                label=f"Poids — {node.field_label}",
                required=False,
                max_length=40,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 8}),
            )
            # The error summary names the section or fiche, as a person reads the table.
            field.summary_label = node.field_label
            self.fields[node.name] = field

    def clean(self) -> dict:
        cleaned = super().clean()
        for node in self.nodes:
            if node.name in self.errors:
                continue
            try:
                cleaned[node.name] = weights.parse_weight(cleaned.get(node.name, ""))
            except weights.InvalidWeight as error:
                self.add_error(node.name, str(error))
        return cleaned

    def weights(self) -> dict[Key, Decimal]:
        return {node.key: self.cleaned_data[node.name] for node in self.nodes}


def _typed(value: Decimal) -> str:
    """A weight as the form shows it: decimal comma, no trailing zeros."""
    return weights.canonical(value).replace(".", ",")


def _initial(nodes: list[Node], stored: Mapping[Key, Decimal]) -> dict[str, str]:
    return {node.name: _typed(stored.get(node.key, DEFAULT)) for node in nodes}


def _seen(nodes: list[Node], data) -> dict[Key, Decimal]:
    """The stored weights the posted form was showing, from its hidden fields."""
    seen = {}
    for node in nodes:
        try:
            seen[node.key] = weights.parse_weight(data.get(node.seen_name, ""))
        except weights.InvalidWeight:
            continue  # absent or altered: counted as changed meanwhile
    return seen


@dataclass(frozen=True)
class Row:
    node: Node
    field: forms.BoundField | None
    weight_label: str  # the weight in force (stored), for readers
    seen: str  # posted back to detect changes made meanwhile
    contract_weight: str  # fiches only
    share: str  # part of the contract's rate


def _preview(nodes: list[Node], values: Mapping[Key, Decimal]) -> tuple[dict, dict, Fraction]:
    """Each fiche's weight in the contract (the roll-ups' computation), and each section's and
    fiche's share of the contract's total weight."""
    sections = [
        rollups.SectionInput(n.key[1], n.parent_id, weight=values[n.key])
        for n in nodes
        if n.is_section
    ]
    paths = rollups.section_paths(sections)
    fiches = [
        rollups.FicheInput(
            n.key[1],
            section_path=paths.get(n.section_id, ()),
            weight=values[n.key],
        )
        for n in nodes
        if not n.is_section
    ]
    in_contract = rollups.contract_weights(rollups.PlanInput(sections, fiches))
    total = sum(in_contract.values(), Fraction(0))
    under: dict[int, Fraction] = {}
    for fiche in fiches:
        for section_id in fiche.section_path:
            under[section_id] = under.get(section_id, Fraction(0)) + in_contract[fiche.fiche_id]
    return in_contract, under, total


def _decimal(value: rollups.Exact) -> Decimal:
    # Products of weights of at most four decimals: their denominators are powers of ten.
    value = Fraction(value)
    return Decimal(value.numerator) / Decimal(value.denominator)


def _rows(
    nodes: list[Node],
    form: WeightsForm | None,
    stored: Mapping[Key, Decimal],
    values: Mapping[Key, Decimal],
    seen: Mapping[Key, Decimal],
) -> list[Row]:
    in_contract, under, total = _preview(nodes, values)
    rows = []
    for node in nodes:
        mass = under.get(node.key[1], 0) if node.is_section else in_contract[node.key[1]]
        rows.append(
            Row(
                node=node,
                field=form[node.name] if form is not None else None,
                weight_label=rollups.format_number(stored.get(node.key, DEFAULT)),
                seen=weights.canonical(seen.get(node.key, DEFAULT)),
                contract_weight="" if node.is_section else rollups.format_number(_decimal(mass)),
                share=rollups.format_ratio(Fraction(mass) / total) if total else "—",
            )
        )
    return rows


def _change_label(nodes: list[Node], change: weights.Change) -> str:
    node = next(n for n in nodes if n.key == change.key)
    name = node.field_label
    after = rollups.format_number(change.after)
    if change.before is None:
        return f"{name} : ajout au plan depuis l’ouverture de la page (poids {after})"
    return f"{name} : {rollups.format_number(change.before)} → {after}"


@login_required
@require_http_methods(["GET", "POST"])
def weights_page(request, slug):
    plan = _followed_plan(request, slug)
    if not perms.can_view_weights(request.user, plan):
        raise PermissionDenied("La pondération de ce plan est réservée à ses membres.")
    can_set = perms.can_set_weights(request.user, plan)
    if request.method == "POST" and not can_set:
        raise PermissionDenied("Seuls les coordinateurs du plan règlent la pondération.")
    nodes = _tree(plan)
    stored = weights.stored_weights(plan)
    url = reverse("followup:weights", args=[plan.slug])
    action = request.POST.get("action", SAVE) if request.method == "POST" else None
    status = 200
    conflict: list[str] = []
    previewing = False

    if action == RESET:
        changes = weights.reset_weights(plan, request.user)
        if changes:
            messages.success(
                request,
                f"Poids remis à 1 : {_count(len(changes))}. Chaque fiche compte à égalité.",
            )
        else:
            messages.info(request, "Tous les poids valaient déjà 1 : rien n’a changé.")
        return redirect(url)

    seen: Mapping[Key, Decimal] = stored
    form = WeightsForm(nodes, initial=_initial(nodes, stored)) if can_set else None
    values: Mapping[Key, Decimal] = {n.key: stored.get(n.key, DEFAULT) for n in nodes}
    if action in (SAVE, PREVIEW):
        posted_seen = _seen(nodes, request.POST)
        # A section or fiche added since the page was loaded has no input: its stored weight
        # stands in, and the save is refused below since the form never showed it.
        data = request.POST.copy()
        for node in nodes:
            if node.name not in data:
                data[node.name] = _typed(stored.get(node.key, DEFAULT))
        form = WeightsForm(nodes, data)
        seen = posted_seen
        if not form.is_valid():
            status = 400
            # The preview keeps the stored weight where the typed one is refused.
            values = {n.key: form.cleaned_data.get(n.name, values[n.key]) for n in nodes}
        elif action == PREVIEW:
            values = form.weights()
            previewing = True
        else:
            try:
                changes = weights.save_weights(plan, form.weights(), posted_seen, request.user)
            except weights.StaleWeights as stale:
                status = 409
                conflict = [_change_label(nodes, c) for c in stale.changes]
                stored = weights.stored_weights(plan)
                form, values = _merged(nodes, form, posted_seen, stored)
                seen = stored
            else:
                if changes:
                    messages.success(
                        request,
                        f"Pondération enregistrée : {_count(len(changes))}.",
                    )
                else:
                    messages.info(request, "Aucun poids n’a changé : rien n’a été enregistré.")
                return redirect(url)

    non_default = sum(stored.get(n.key, DEFAULT) != DEFAULT for n in nodes)
    context = {
        "title": f"Pondération — {plan.title}",
        "plan": plan,
        "form": form,
        "can_set": can_set,
        "rows": _rows(nodes, form, stored, values, seen),
        "non_default": non_default,
        "previewing": previewing,
        "conflict": conflict,
        "has_sections": any(n.is_section for n in nodes),
        "breadcrumb_data": _crumbs(
            plan,
            (reverse("followup:campaigns", args=[plan.slug]), "Suivi annuel"),
            current="Pondération",
        ),
    }
    return render(request, "followup/weights.html", context, status=status)


def _merged(
    nodes: list[Node],
    form: WeightsForm,
    seen: Mapping[Key, Decimal],
    stored: Mapping[Key, Decimal],
) -> tuple[WeightsForm, dict[Key, Decimal]]:
    """After a refusal: the weights the person changed stay as typed, the others show what is
    stored now, so that saving again keeps both (once the person has looked)."""
    typed = form.weights()
    values = {}
    for node in nodes:
        now = stored.get(node.key, DEFAULT)
        mine = typed[node.key]
        values[node.key] = mine if node.key in seen and mine != seen[node.key] else now
    merged = WeightsForm(nodes, initial={n.name: _typed(values[n.key]) for n in nodes})
    return merged, values


def _count(n: int) -> str:
    return "1 poids modifié" if n == 1 else f"{n} poids modifiés"
