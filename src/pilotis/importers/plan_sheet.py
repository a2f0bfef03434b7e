"""Read Pilotis's own plan spreadsheet (plans.spreadsheet) back into a PlanDraft.

A cell that still shows what the export wrote keeps the exported value exactly (from the hidden
« Pilotis » sheet); a changed cell is read; a new row creates a fiche or an action; a fiche whose
rows are gone is removed. The review step then shows the differences before anything is saved.
Unchanged elements keep their provenance; new or changed ones get their sheet and row.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import date
from typing import Any

from pilotis.core.text import fold
from pilotis.importers import sheets
from pilotis.importers.review import organisation_for
from pilotis.importers.tet import action_letter, split_numbered
from pilotis.plans import spreadsheet as layout
from pilotis.plans.draft import (
    ActionDraft,
    FicheDraft,
    IndicatorDraft,
    ParseError,
    PlanDraft,
    RoleDraft,
    SectionDraft,
    Span,
)
from pilotis.plans.export import plan_from_dict

FICHE_HEADERS = {h: code for code, h in layout.FICHE_COLUMNS}
ACTION_HEADERS = {h: code for code, h in layout.ACTION_COLUMNS}
KIND_LABELS = layout.KIND_LABELS
MAX_ERRORS = 20


def find_sheet(book: list[sheets.Sheet]) -> sheets.Sheet | None:
    """The « Actions » sheet: a header row with « N° fiche » and « Intitulé de la fiche »."""
    for sheet in book:
        header = [sheets.text(v) for v in sheet.row(1)]
        if "N° fiche" in header and "Intitulé de la fiche" in header:
            return sheet
    return None


def looks_like(book: list[sheets.Sheet]) -> bool:
    return find_sheet(book) is not None


def parse(book: list[sheets.Sheet], filename: str) -> PlanDraft:
    sheet = find_sheet(book)
    if sheet is None:
        raise ParseError(
            f"Le fichier « {filename} » n’a pas de feuille « {layout.ACTIONS_SHEET} » dont la "
            "première ligne porte les colonnes « N° fiche » et « Intitulé de la fiche »."
        )
    sheets.apply_merges(sheet, filename, 2)
    base_data = _base(book, filename)
    return _Reader(book, sheet, filename, base_data).run()


def _base(book: list[sheets.Sheet], filename: str) -> dict[str, Any] | None:
    data = next((s for s in book if s.name == layout.DATA_SHEET), None)
    if data is None or sheets.text(data.row(1)[0] if data.row(1) else None) != layout.DATA_MARK:
        return None
    payload = "".join(str(v[0]) for n, v in data.rows if n >= 3 and v and v[0] is not None)
    try:
        base = json.loads(payload)
        plan_from_dict(base)  # validates it
    except (json.JSONDecodeError, ParseError) as exc:
        raise ParseError(
            f"Fichier « {filename} » : la feuille masquée « {layout.DATA_SHEET} » a été modifiée "
            "et ne se lit plus. Supprimez-la pour importer le fichier d’après ses seules "
            "cellules, ou repartez d’un nouvel export."
        ) from exc
    return base


class _Reader:
    def __init__(self, book, sheet: sheets.Sheet, filename: str, base: dict[str, Any] | None):
        self.book = book
        self.sheet = sheet
        self.filename = filename
        self.base = base
        self.base_draft = plan_from_dict(base) if base else None
        self.errors: list[str] = []
        self.typed_links: dict[str, str] = {}  # fiche number → where its links were retyped
        header = [sheets.text(v) for v in sheet.row(1)]
        self.header = header
        self.number_col = header.index("N° fiche")
        self.level_names = header[: self.number_col]
        self.columns: dict[str, int] = {}  # code → index; extras as "extra:<key>"
        extra_keys = {layout.extra_header(k): k for k in layout.EXTRA_LABELS}
        action_keys = dict(extra_keys)
        if base:
            # The keys the export wrote come first: a rubric stored under its French label
            # (« Freins ») stays under it rather than under the code of that label.
            shape = layout.layout(base)
            extra_keys |= {layout.extra_header(k): k for k in shape["fiche_extras"]}
            action_keys |= {layout.extra_header(k): k for k in shape["action_extras"]}
        for i, h in enumerate(header[self.number_col :], start=self.number_col):
            if not h:
                continue
            if h in FICHE_HEADERS:
                self.columns[FICHE_HEADERS[h]] = i
            elif h in ACTION_HEADERS:
                self.columns["action:" + ACTION_HEADERS[h]] = i
            elif h.startswith(layout.ACTION_PREFIX):
                label = h[len(layout.ACTION_PREFIX) :]
                self.columns["action_extra:" + action_keys.get(label, label)] = i
            else:
                self.columns["extra:" + extra_keys.get(h, h)] = i
        for code, h in [layout.FICHE_COLUMNS[1], layout.ACTION_COLUMNS[1]]:
            key = code if h in FICHE_HEADERS else "action:" + code
            if key not in self.columns:
                raise ParseError(
                    f"{sheets.where(filename, sheet.name, 1)} : la colonne « {h} » manque."
                )

    # Helpers

    def where(self, row: int, col: int | None) -> str:
        place = sheets.where(self.filename, self.sheet.name, row, col)
        if col is not None and col < len(self.header):
            place += f" « {self.header[col]} »"
        return place

    def span(self, row: int) -> Span:
        return Span(self.filename, row, row, self.sheet.name)

    def raw(self, values: list, col: int | None) -> str:
        if col is None or col >= len(values) or values[col] is None:
            return ""
        value = values[col]
        # Text as written, line breaks normalised; other values (numbers) as text.
        if isinstance(value, str):
            return value.replace("\r\n", "\n").replace("\r", "\n")
        return sheets.text(value)

    # The run

    def run(self) -> PlanDraft:
        draft = self._plan()
        base_fiches = {f["number"]: f for f in (self.base or {}).get("fiches", [])}
        base_drafts = {f.number: f for f in (self.base_draft.fiches if self.base_draft else [])}
        self.organisations = {o.key: o for o in draft.organisations}
        self.sections = {s.key: s for s in draft.sections}
        self.section_texts = {
            key: path for key, path in layout.section_paths(self.base or {"sections": []}).items()
        }
        groups: dict[str, list[tuple[int, list]]] = {}
        for number, values in sheets.iter_values(self.sheet, 2):
            fiche_number = self.raw(values, self.number_col).strip()
            if not fiche_number:
                self.errors.append(
                    f"{self.where(number, self.number_col)} : la ligne est remplie mais n’a pas "
                    "de numéro de fiche."
                )
                continue
            groups.setdefault(fiche_number, []).append((number, values))
        fiches = []
        for number, rows in groups.items():
            fiche = self._fiche(number, rows, base_fiches.get(number), base_drafts.get(number))
            if fiche is not None:
                fiches.append(fiche)
        if self.errors:
            shown = self.errors[:MAX_ERRORS]
            more = len(self.errors) - len(shown)
            raise ParseError(
                f"Le fichier « {self.filename} » ne peut pas être importé ; rien n’a été "
                "enregistré. "
                + " ".join(shown)
                + (f" (et {more} autre(s) erreur(s))" if more else "")
            )
        if not fiches:
            raise ParseError(
                f"{sheets.where(self.filename, self.sheet.name)} : aucune fiche à partir de la "
                "ligne 2."
            )
        numbers = {f.number for f in fiches}
        for fiche in fiches:
            unknown = [n for n in fiche.linked_fiches if n not in numbers]
            if not unknown:
                continue
            if fiche.number in self.typed_links:
                self.errors.append(
                    f"{self.typed_links[fiche.number]} : les fiches liées {', '.join(unknown)} "
                    "n’existent pas dans le tableur."
                )
            else:
                # The linked fiche's rows were deleted: the link goes with it (the review
                # shows the fiche's links as changed).
                fiche.linked_fiches = [n for n in fiche.linked_fiches if n in numbers]
        draft.fiches = fiches
        draft.sections = list(self.sections.values())
        draft.organisations = sorted(self.organisations.values(), key=lambda o: fold(o.name))
        if self.errors:
            raise ParseError(" ".join(self.errors[:MAX_ERRORS]))
        return draft

    # Plan settings

    def _plan(self) -> PlanDraft:
        base = copy.deepcopy(self.base_draft) if self.base_draft else None
        settings = self._settings()
        rendered = layout.plan_values(self.base) if self.base else {}  # what the export wrote
        if base is None:
            base = PlanDraft(kind="cls", slug="", title="", document=self.filename, levels=[])
        else:
            base.document = self.filename
        for code, label in layout.PLAN_FIELDS:
            if code not in settings:
                continue
            row, value = settings[code]
            if self.base is not None and _same(value, rendered.get(code)):
                continue
            self._set_plan_field(base, code, label, row, value)
        if not base.slug:
            raise ParseError(
                f"{sheets.where(self.filename, layout.PLAN_SHEET)} : l’identifiant du plan manque."
            )
        depth_headers = layout.level_headers(base.levels, len(self.level_names))
        if self.base is None or self.level_names != depth_headers:
            base.levels = [n for n in self.level_names if n]
        return base

    def _settings(self) -> dict[str, tuple[int, Any]]:
        sheet = next((s for s in self.book if s.name == layout.PLAN_SHEET), None)
        if sheet is None:
            return {}
        by_label = {label: code for code, label in layout.PLAN_FIELDS}
        out = {}
        for number, values in sheet.rows:
            label = sheets.text(values[0]) if values else ""
            if label in by_label:
                out[by_label[label]] = (number, values[1] if len(values) > 1 else None)
        return out

    def _set_plan_field(self, draft: PlanDraft, code: str, label: str, row: int, value) -> None:
        place = f"{sheets.where(self.filename, layout.PLAN_SHEET, row, 1)} « {label} »"
        text = sheets.text(value)
        if code == "kind":
            codes = {fold(v): k for k, v in KIND_LABELS.items()} | {k: k for k in KIND_LABELS}
            if fold(text) not in codes:
                raise ParseError(
                    f"{place} : type « {text} » inconnu ; choisissez parmi "
                    + ", ".join(f"« {v} »" for v in KIND_LABELS.values())
                    + "."
                )
            draft.kind = codes[fold(text)]
        elif code in ("start_year", "duration_years"):
            try:
                number = sheets.number(value)
            except ValueError:
                number = None
                text = text or "?"
            if number is None or number != int(number):
                if not text and code == "start_year":
                    draft.start_year = None
                    return
                raise ParseError(f"{place} : « {text} » n’est pas un nombre entier d’années.")
            setattr(draft, code, int(number))
        elif code == "signature_date":
            try:
                draft.signature_date = sheets.day(value)
            except ValueError as exc:
                raise ParseError(f"{place} : « {text} » n’est pas une date (JJ/MM/AAAA).") from exc
        elif code == "signatories":
            draft.signatories = [line.strip() for line in text.split("\n") if line.strip()]
        elif code == "title":
            if not text:
                raise ParseError(f"{place} : le titre du plan ne peut être vide.")
            draft.title = text
        elif code == "slug":
            draft.slug = text

    # Fiches

    def _fiche_cell(self, rows, code: str) -> tuple[str, int, int | None]:
        """The one value of a fiche column over the fiche's rows (the others empty or equal)."""
        col = self.columns.get(code)
        if col is None:
            return "", rows[0][0], None
        seen: dict[str, int] = {}
        for number, values in rows:
            value = self.raw(values, col)
            if value.strip():
                seen.setdefault(value, number)
        if len(seen) > 1:
            (a, ra), (b, rb) = list(seen.items())[:2]
            self.errors.append(
                f"{self.where(rb, col)} : la fiche a deux valeurs différentes dans cette colonne "
                f"(lignes {ra} et {rb}). Mettez la même valeur sur chaque ligne de la fiche, ou "
                "laissez vides les lignes suivantes."
            )
        value, row = next(iter(seen.items()), ("", rows[0][0]))
        return value, row, col

    def _fiche(self, number, rows, base: dict | None, base_draft: FicheDraft | None):
        first_row = rows[0][0]
        fiche = (
            copy.deepcopy(base_draft)
            if base_draft
            else FicheDraft(number=number, title="", section_key="", span=self.span(first_row))
        )
        changed = base_draft is None
        for code, _ in layout.FICHE_COLUMNS:
            if code == "number":
                continue
            value, row, col = self._fiche_cell(rows, code)
            if col is None:
                continue
            if base is not None and value == layout.cell_text(layout.FICHE_RENDER[code](base)):
                continue
            changed = True
            self._set_fiche_field(fiche, code, value, row, col, base_draft)
        for key in {k[6:] for k in self.columns if k.startswith("extra:")}:
            value, row, col = self._fiche_cell(rows, "extra:" + key)
            old = (base or {}).get("extra", {}).get(key, "")
            if base is not None and value == layout.cell_text(old):
                continue
            changed = True
            if value.strip():
                fiche.extra[key] = value
            else:
                fiche.extra.pop(key, None)
        path_value = self._section_key(rows, fiche, base)
        if path_value is not None:
            changed = changed or path_value != fiche.section_key
            fiche.section_key = path_value
        if not fiche.title.strip():
            self.errors.append(
                f"{self.where(first_row, self.columns['title'])} : la fiche n°{number} n’a pas "
                "d’intitulé."
            )
            return None
        actions_changed = self._actions(fiche, rows, base, base_draft)
        if changed or actions_changed:
            fiche.span = self.span(first_row)
        return fiche

    def _set_fiche_field(self, fiche, code, value, row, col, base_draft) -> None:
        items = [line.strip() for line in value.split("\n") if line.strip()]
        if code == "title":
            fiche.title = value.strip()
        elif code == "pilotage":
            label = value.strip() or "pilotage"
            if label not in layout.PILOTAGE_VALUES:
                self.errors.append(
                    f"{self.where(row, col)} : « {label} » ; écrivez « pilotage » ou "
                    "« co-pilotage »."
                )
                return
            fiche.pilotage_label = label
            role = "copilot" if label == "co-pilotage" else "pilot"
            fiche.roles = [
                RoleDraft(role, r.as_written, r.organisation) if r.role != "partner" else r
                for r in fiche.roles
            ]
        elif code in ("pilots", "partners"):
            known = {r.as_written: r.organisation for r in (base_draft.roles if base_draft else [])}
            if code == "pilots":
                role = "copilot" if fiche.pilotage_label == "co-pilotage" else "pilot"
            else:
                role = "partner"
            new = [
                RoleDraft(role, text, known.get(text) or organisation_for(text, self.organisations))
                for text in items
            ]
            kept = [r for r in fiche.roles if (r.role == "partner") == (code == "pilots")]
            fiche.roles = new + kept if code == "pilots" else kept + new
        elif code == "operational_objectives":
            fiche.operational_objectives = items
        elif code == "programmes":
            fiche.programmes = items
        elif code == "linked_fiches":
            self.typed_links[fiche.number] = self.where(row, col)
            fiche.linked_fiches = [n for n in re.split(r"[,;\s]+", value) if n]
        elif code in ("result_indicators", "monitoring_indicators"):
            kind = "result" if code == "result_indicators" else "monitoring"
            others = [i for i in fiche.indicators if i.kind != kind]
            old = {(tuple(i.actions), i.text): i.span for i in fiche.indicators if i.kind == kind}
            parsed = []
            for text in items:
                letters, body = _indicator(text)
                span = old.get((tuple(letters), body)) or self.span(row)
                parsed.append(IndicatorDraft(kind, letters, body, span))
            fiche.indicators = parsed + others if kind == "result" else others + parsed
        else:  # public, context, strategic_objective
            setattr(fiche, code, value.strip())

    def _section_key(self, rows, fiche: FicheDraft, base: dict | None) -> str | None:
        depth = len(self.level_names)
        cells = []
        for i in range(depth):
            seen = {self.raw(v, i).strip() for _, v in rows if self.raw(v, i).strip()}
            if len(seen) > 1:
                self.errors.append(
                    f"{self.where(rows[1][0], i)} : la fiche n°{fiche.number} est rangée dans "
                    "deux sections différentes selon ses lignes."
                )
                return None
            cells.append(next(iter(seen), ""))
        while cells and not cells[-1]:
            cells.pop()
        if base is not None:
            old_path = self.section_texts.get(base["section_key"] or "", [])
            if cells == [layout.cell_text(c) for c in old_path]:
                return fiche.section_key
        if "" in cells:
            gap = cells.index("")
            self.errors.append(
                f"{self.where(rows[0][0], gap)} : la colonne est vide alors qu’une colonne "
                "suivante du chemin est remplie."
            )
            return None
        parent: str | None = None
        for level, cell in enumerate(cells):
            parent = self._section(parent, level, cell, rows[0][0])
        return parent or ""

    def _section(self, parent: str | None, level: int, cell: str, row: int) -> str:
        children = [s for s in self.sections.values() if s.parent_key == parent]
        for s in children:
            if layout.cell_text(layout.section_text(s.__dict__)) == cell:
                return s.key
        number, title = split_numbered(cell)
        for s in children:
            if fold(s.title) == fold(title) and (not number or number == s.number):
                return s.key
        n = len(children) + 1
        key = f"{parent}.N{n}" if parent else f"N{n}"
        while key in self.sections or len(key) > 40:
            n += 1
            key = f"{parent}.N{n}" if parent and len(parent) < 30 else f"N{n}-{len(self.sections)}"
        self.sections[key] = SectionDraft(
            key=key,
            level=level,
            number=number,
            title=title,
            parent_key=parent,
            span=self.span(row),
        )
        return key

    # Actions

    def _actions(self, fiche, rows, base: dict | None, base_draft: FicheDraft | None) -> bool:
        # Keyed by letter and occurrence: a document may give two actions the same letter.
        base_actions = _by_occurrence((base or {}).get("actions", []), lambda a: a["letter"])
        base_spans = _by_occurrence(base_draft.actions if base_draft else [], lambda a: a.letter)
        seen: dict[str, int] = {}
        extra_cols = {k[13:]: c for k, c in self.columns.items() if k.startswith("action_extra:")}
        col = {code: self.columns.get("action:" + code) for code, _ in layout.ACTION_COLUMNS}
        actions: list[ActionDraft] = []
        used = set()
        changed = False
        pending_letters = []
        for row, values in rows:
            letter = self.raw(values, col["letter"]).strip()
            text = self.raw(values, col["text"]).strip()
            years = self.raw(values, col["deadline_years"]).strip()
            as_written = self.raw(values, col["deadline_as_written"]).strip()
            extra = {k: self.raw(values, c) for k, c in extra_cols.items()}
            extra = {k: v for k, v in extra.items() if v.strip()}
            if not (letter or text or years or as_written or extra):
                continue  # a fiche row without action
            if not text:
                self.errors.append(
                    f"{self.where(row, col['text'])} : l’action {letter} de la fiche "
                    f"n°{fiche.number} n’a pas d’intitulé."
                )
                continue
            key = (letter, seen.get(letter, 0))
            if letter:
                used.add(letter)
                seen[letter] = key[1] + 1
            old = base_actions.get(key) if letter else None
            rendered = (
                {code: layout.cell_text(layout.ACTION_RENDER[code](old)) for code in col}
                if old
                else {}
            )
            if (
                old
                and rendered["text"] == self.raw(values, col["text"])
                and rendered["deadline_years"] == years
                and rendered["deadline_as_written"] == as_written
                and {k: layout.cell_text(v) for k, v in old["extra"].items()} == extra
            ):
                kept = copy.deepcopy(base_spans[key])
                actions.append(kept)
                continue
            changed = True
            try:
                year_list = [int(y) for y in re.split(r"[,;\s]+", years) if y]
            except ValueError:
                self.errors.append(
                    f"{self.where(row, col['deadline_years'])} : « {years} » ; écrivez les "
                    "années du contrat séparées par des virgules, par exemple « 1, 2, 3 »."
                )
                continue
            action = ActionDraft(
                letter=letter,
                text=text,
                deadline_years=year_list,
                deadline_as_written=as_written,
                span=self.span(row),
                extra={k: v for k, v in extra.items()},
            )
            if not letter:
                pending_letters.append(action)
            actions.append(action)
        for action in pending_letters:
            n = len(used)
            while action_letter(n) in used:
                n += 1
            action.letter = action_letter(n)
            used.add(action.letter)
        if len(actions) != len(fiche.actions) or [a.letter for a in actions] != [
            a.letter for a in fiche.actions
        ]:
            changed = True
        fiche.actions = actions
        return changed


def _by_occurrence(items, letter_of) -> dict[tuple[str, int], Any]:
    out, seen = {}, {}
    for item in items:
        letter = letter_of(item)
        out[(letter, seen.get(letter, 0))] = item
        seen[letter] = seen.get(letter, 0) + 1
    return out


def _same(value, rendered) -> bool:
    if isinstance(rendered, date) and hasattr(value, "date"):
        value = value.date()
    if isinstance(rendered, str):
        return sheets.text(value) == sheets.text(layout.cell_text(rendered))
    if isinstance(rendered, int) and isinstance(value, int | float):
        return value == rendered
    return value == rendered or (value in ("", None) and rendered in ("", None))


def _indicator(text: str) -> tuple[list[str], str]:
    match = re.match(r"^\[([^\]]*)\]\s*(.*)$", text, re.S)
    if not match:
        return [], text
    letters = [x for x in re.split(r"[,;\s]+", match.group(1)) if x]
    return letters, match.group(2).strip()
