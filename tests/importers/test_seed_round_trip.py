"""Every seed plan imports, and its JSON export imports back into the same plan."""

import json

import pytest

from pilotis.importers.persist import save_draft
from pilotis.importers.registry import parse_document
from pilotis.plans.export import plan_from_dict, plan_to_dict
from pilotis.plans.models import Plan
from tests.seeds import CARCASSONNE, CONFLUENCES, CPTS, PRS_ARIEGE, seed_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def essentials(draft):
    return [
        (
            f.number,
            f.title,
            f.section_key,
            [(r.role, r.as_written, r.organisation) for r in f.roles],
            f.linked_fiches,
            f.operational_objectives,
            [(a.letter, a.text, a.deadline_years, a.extra) for a in f.actions],
            # Result and monitoring indicators are two lists: their order across kinds is moot.
            {
                kind: [(i.actions, i.text) for i in f.indicators if i.kind == kind]
                for kind in ("result", "monitoring")
            },
            f.public,
            f.extra,
        )
        for f in draft.fiches
    ]


@pytest.mark.parametrize("seed", [CARCASSONNE, CONFLUENCES, PRS_ARIEGE, CPTS])
def test_export_then_import_gives_the_same_plan(seed):
    draft = parse_document(seed_bytes(seed), seed)
    save_draft(draft)
    plan = Plan.objects.get(slug=draft.slug)
    exported = json.loads(json.dumps(plan_to_dict(plan)))  # through real JSON text
    again = plan_from_dict(exported)
    assert essentials(again) == essentials(draft)
    # The export lists sections depth first; a parser may list them level by level.
    assert {s.key: (s.title, s.parent_key) for s in again.sections} == {
        s.key: (s.title, s.parent_key) for s in draft.sections
    }
    assert again.extra == json.loads(json.dumps(draft.extra))
    summary = save_draft(again)
    assert not summary.changed, summary.counts
