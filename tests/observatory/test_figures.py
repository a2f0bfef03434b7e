"""The seeds' figures: each on its line of the document, every source kept."""

from __future__ import annotations

from pathlib import Path

from pilotis.observatory import figures
from pilotis.observatory.models import Observation


def test_every_shipped_figure_is_on_its_line_of_the_seeds(settings):
    entries = figures.shipped_figures()
    for prefix in {e["document"] for e in entries}:
        (path,) = Path(settings.SEEDS_DIR).glob(f"{prefix}_*.txt")
        lines = path.read_text(encoding="utf-8").splitlines()
        mine = [e for e in entries if e["document"] == prefix]
        assert figures.check_quotes(mine, lines, path.name) == []


def test_a_moved_line_is_reported():
    entries = [{"line": 2, "quote": "21,4%"}]
    assert figures.check_quotes(entries, ["taux de 21,4%", "autre"], "doc.txt") == [
        "doc.txt, ligne 2 : « 21,4% » introuvable."
    ]


def test_figures_load_with_provenance_and_both_values_stay(aude, tmp_path):
    (tmp_path / "000_x.txt").write_text("Titre\nUne pauvreté de 21,4% (Insee 2019)\n")
    (tmp_path / "004_y.txt").write_text("Aude : 20,7% en 2020\n")
    entries = [
        {
            "document": "000",
            "line": 2,
            "quote": "21,4%",
            "indicator": "poverty_rate",
            "territory": "department:11",
            "period": "2019",
            "value": 21.4,
            "cited": "Insee, 2019",
        },
        {
            "document": "004",
            "line": 1,
            "quote": "20,7%",
            "indicator": "poverty_rate",
            "territory": "department:11",
            "period": "2020",
            "value": 20.7,
            "cited": "Insee, 2020",
        },
        {
            "document": "004",
            "line": 1,
            "quote": "20,7%",
            "indicator": "poverty_rate",
            "territory": "plan:004",
            "period": "",
            "value": 1,
            "cited": "x",
        },
    ]
    report = figures.load_seed_figures(tmp_path, entries)
    assert report.loaded == {"000_x.txt": 1, "004_y.txt": 1}
    assert report.problems == [
        "004_y.txt, ligne 1 : territoire plan:004 non chargé "
        "(pilotis geo load, pilotis geo perimeters)."
    ]
    rows = list(
        Observation.objects.filter(territory=aude["11"])
        .order_by("period")
        .values_list("period", "value", "provenance")
    )
    assert rows == [
        ("2019", 21.4, "000_x.txt, ligne 2 : « 21,4% »"),
        ("2020", 20.7, "004_y.txt, ligne 1 : « 20,7% »"),
    ]
    # Loading again replaces, never doubles.
    figures.load_seed_figures(tmp_path, entries)
    assert Observation.objects.count() == 2
