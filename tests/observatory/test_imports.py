"""Importing files into the observatory: detected, remembered, refused whole on any problem."""

from __future__ import annotations

import pytest

from pilotis.observatory import imports
from pilotis.observatory.models import FileShape, ImportBatch, Observation

from .files import ameli_csv, apl_workbook, insee_csv


def run(data: bytes, name: str, source: str = "", overrides=None):
    batch = imports.new_batch(data, name, source, None)
    return batch, imports.run(batch, overrides)


def test_shipped_dictionary_is_in_the_database(db):
    from pilotis.observatory.models import Indicator

    apl = Indicator.objects.get(code="apl_gp")
    assert apl.aggregation == "weighted_mean" and apl.theme == "access"
    assert Indicator.objects.filter(aggregation="none").exists()


def test_apl_workbook_is_mapped_and_applied(aude):
    data = apl_workbook(
        {
            "2021": [
                ["11069", "Carcassonne", 3.1, 2.9, 45000],
                ["11379", "Trèbes", 4.0, 3.8, 5000],
            ],
            "2022": [["11069", "Carcassonne", 2.6, 2.5, 45100]],
        }
    )
    batch, outcome = run(data, "apl.xlsx", "DREES, APL")
    assert not outcome.needs_mapping
    assert outcome.problems == []
    assert outcome.sheets[0].skipped  # the presentation sheet
    assert outcome.applied == 3
    carcassonne = Observation.objects.filter(territory=aude["11069"]).order_by("period")
    assert [(o.period, o.value, o.indicator.code) for o in carcassonne] == [
        ("2021", 3.1, "apl_gp"),
        ("2022", 2.6, "apl_gp"),
    ]
    assert carcassonne[0].provenance == "apl.xlsx, feuille « 2021 », ligne 11"
    assert carcassonne[0].source == "DREES, APL"
    batch.refresh_from_db()
    assert batch.applied and batch.observation_count == 3


def test_a_file_with_an_unknown_code_changes_nothing(aude):
    data = insee_csv(
        ["11069;Carcassonne;46 031;12,1", "11999;Inconnue;10;1"],
        preamble=("Source : Insee, RP 2021",),
    )
    batch, outcome = run(data, "insee.csv")
    assert [str(p) for p in outcome.problems] == [
        "insee.csv, ligne 4, colonne « CODGEO » : code commune « 11999 » inconnu "
        "(commune fusionnée ou supprimée ?)."
    ]
    assert not Observation.objects.exists()
    batch.refresh_from_db()
    assert not batch.applied


def test_unsure_file_waits_for_its_mapping_then_its_shape_is_remembered(aude):
    rows = ["2021;Diabète;Diabète;top;tsage;9;76;11;22000;366000;6.01"]
    data = ameli_csv(rows + ["2021;Cancers;Cancer;top;tsage;9;76;11;9000;366000;2.4"])
    batch, outcome = run(data, "ameli.csv", "CNAM, cartographie des pathologies")
    assert outcome.needs_mapping and outcome.applied == 0
    mapping = outcome.sheets[0].mapping
    for v in mapping["values"]:
        v["indicator"] = "diabetes_treated_share"
    mapping["filters"] = {"patho_niv1": "Diabète"}
    outcome = imports.run(batch, {0: mapping})
    assert outcome.problems == [] and outcome.applied == 1
    obs = Observation.objects.get()
    assert (obs.territory, obs.value, obs.numerator, obs.denominator) == (
        aude["11"],
        6.01,
        22000,
        366000,
    )
    assert FileShape.objects.count() == 1
    # The next file of the same shape (next year) is applied without asking.
    _, outcome = run(
        ameli_csv(["2022;Diabète;Diabète;top;tsage;9;76;11;23000;367000;6.27"]),
        "a2.csv",
        "CNAM, cartographie des pathologies",
    )
    assert not outcome.needs_mapping and outcome.applied == 1
    assert sorted(Observation.objects.values_list("period", flat=True)) == ["2021", "2022"]


def test_reimport_of_same_source_replaces_other_sources_stay(aude):
    csv1 = insee_csv(["11069;Carcassonne;46 031;12,1"], preamble=("RP 2021",))
    run(csv1, "a.csv", "Insee")
    run(insee_csv(["11069;Carcassonne;46 100;12,2"], preamble=("RP 2021",)), "b.csv", "Insee")
    run(csv1, "c.csv", "Autre source")
    values = sorted(
        Observation.objects.filter(indicator__code="population").values_list("source", "value")
    )
    assert values == [("Autre source", 46031), ("Insee", 46100)]
    assert ImportBatch.objects.count() == 3


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04nope"])
def test_unreadable_files(aude, data):
    from pilotis.observatory.parsing import FileError

    batch = imports.new_batch(data, "x.xlsx", "", None)
    with pytest.raises(FileError):
        imports.run(batch)
