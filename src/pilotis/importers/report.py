"""French text of an import's outcome for the command line: counts, unplaced lines, review flags."""

from __future__ import annotations

from pilotis.importers.persist import KINDS, ImportSummary, KindCounts
from pilotis.plans.draft import FIELD_LABELS, PlanDraft, Span

# (label, feminine) per kind: past participles agree with the noun ("3 fiches créées").
KIND_LABELS: dict[str, tuple[str, bool]] = {
    "plan": ("plan", False),
    "communes": ("communes du périmètre", True),
    "sections": ("sections", True),
    "organisations": ("organisations", True),
    "programmes": ("programmes", False),
    "fiches": ("fiches", True),
    "roles": ("pilotes et partenaires", False),
    "programme_links": ("liens vers des programmes", False),
    "fiche_links": ("liens entre fiches", False),
    "actions": ("actions", True),
    "indicators": ("indicateurs", False),
    "unplaced_lines": ("lignes non placées", True),
}


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """'1 fiche', '2 fiches', '0 fiche' (French: 0 and 1 take the singular)."""
    return f"{n} {singular if n < 2 else plural_form or singular + 's'}"


def _participle(n: int, stem: str, feminine: bool) -> str:
    ending = ("e" if feminine else "") + ("s" if n >= 2 else "")
    return f"{n} {stem}{ending}"


def counts_line(kind: str, counts: KindCounts) -> str:
    """'  Fiches : 2 modifiées, 53 inchangées' (zero counts left out)."""
    label, feminine = KIND_LABELS[kind]
    parts = [
        _participle(n, stem, feminine)
        for n, stem in [
            (counts.created, "créé"),
            (counts.updated, "modifié"),
            (counts.deleted, "supprimé"),
            (counts.unchanged, "inchangé"),
        ]
        if n
    ]
    return f"  {label.capitalize()} : " + ", ".join(parts)


def content_line(draft: PlanDraft) -> str:
    """What the document holds: fiches, actions, result and monitoring indicators."""
    indicators = [i for f in draft.fiches for i in f.indicators]
    results = sum(1 for i in indicators if i.kind == "result")
    return ", ".join(
        [
            plural(len(draft.fiches), "fiche"),
            plural(sum(len(f.actions) for f in draft.fiches), "action"),
            plural(results, "indicateur de résultat", "indicateurs de résultat"),
            plural(len(indicators) - results, "indicateur de suivi", "indicateurs de suivi"),
        ]
    )


def summary_lines(draft: PlanDraft, summary: ImportSummary) -> list[str]:
    """The summary every import prints: the plan, its content, what was written, warnings."""
    lines = [f"Plan « {draft.title} » ({draft.slug}) : {content_line(draft)}."]
    if summary.dry_run:
        lines.append("Simulation : rien n'a été enregistré.")
        heading = "L'import ferait :"
        nothing = "L'import ne changerait rien : le plan enregistré est déjà à jour."
    else:
        heading = "Plan créé :" if summary.counts["plan"].created else "Plan mis à jour :"
        nothing = "Rien n'a changé : le plan enregistré est déjà à jour."
    if summary.changed:
        lines.append(heading)
        lines += [
            counts_line(k, summary.counts[k]) for k in KINDS if summary.counts[k] != KindCounts()
        ]
    else:
        lines.append(nothing)
    if summary.warnings:
        lines.append(f"Avertissements ({len(summary.warnings)}) :")
        lines += [f"  {w}" for w in summary.warnings]
    return lines


def _lines_of(span: Span | None) -> str:
    if span is None or not span.first_line:
        return ""
    if span.last_line and span.last_line != span.first_line:
        return f" (lignes {span.first_line} à {span.last_line})"
    return f" (ligne {span.first_line})"


def report_lines(draft: PlanDraft) -> list[str]:
    """The detailed report (--report): every unplaced line and every review flag."""
    lines = []
    if draft.unplaced:
        lines.append(f"Lignes non placées ({len(draft.unplaced)}) :")
        lines += [f"  ligne {u.line} : {u.text} — {u.reason}" for u in draft.unplaced]
    else:
        lines.append("Aucune ligne non placée.")
    flags = [(f, flag) for f in draft.fiches for flag in f.flags]
    if flags:
        lines.append(f"Points à vérifier ({len(flags)}) :")
        lines += [
            f"  fiche n°{fiche.number}, {FIELD_LABELS.get(flag.field, flag.field)} : "
            f"{flag.message}{_lines_of(flag.span)}"
            for fiche, flag in flags
        ]
    else:
        lines.append("Aucun point à vérifier.")
    labels = draft.extra.get("labels", []) if draft.extra.get("reader") == "general" else []
    if labels:
        # The general reader read the document from its labels: say which field each one fed.
        lines.append(f"Rubriques lues (lecture générale, {len(labels)}) :")
        lines += [
            f"  « {entry['label']} » → {entry['field_label']}"
            + ("" if entry["known"] else " (rubrique inconnue)")
            + f", {plural(entry['count'], 'fiche')}"
            for entry in labels
        ]
    return lines
