"""governance.files and governance.ical, pure."""

import io
import zipfile
from datetime import UTC, datetime

import pytest
from icalendar import Calendar

from pilotis.governance import files, ical


def zipped(names: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in names.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7 ...", "pdf"),
        (b"\x89PNG\r\n\x1a\n....", "png"),
        (b"\xff\xd8\xff\xe0....", "jpeg"),
        (zipped({"[Content_Types].xml": b"x", "word/document.xml": b"x"}), "docx"),
        (zipped({"[Content_Types].xml": b"x", "xl/workbook.xml": b"x"}), "xlsx"),
        (zipped({"mimetype": b"application/vnd.oasis.opendocument.text"}), "odt"),
    ],
)
def test_accepted_files_are_recognised_by_content(data, kind):
    assert files.sniff(data, "piece") == kind


@pytest.mark.parametrize(
    "data",
    [b"<html><script>alert(1)</script></html>", b"MZ\x90\x00", zipped({"evil.exe": b"MZ"})],
)
def test_other_content_is_refused_whatever_its_name(data):
    with pytest.raises(files.RefusedFile, match="n’est pas d’un type accepté"):
        files.sniff(data, "compte-rendu.pdf")


def test_download_names_lose_paths_and_take_their_real_extension():
    assert files.safe_name("../../etc/passwd.pdf", "pdf") == "passwd.pdf"
    assert files.safe_name("CR <COPIL>.html", "png") == "CR _COPIL_.png"


def test_the_calendar_is_valid_icalendar():
    entry = ical.MeetingEntry(
        uid="reunion-1@pilotis",
        title="COPIL",
        starts_at=datetime(2027, 3, 14, 9, 30, tzinfo=UTC),
        minutes=90,
        place="Carcassonne",
        description="Fiches : fiche 2, fiche 18",
        url="http://testserver/plans/x/reunions/1/",
    )
    parsed = Calendar.from_ical(
        ical.calendar("Réunions", [entry], datetime(2027, 1, 1, tzinfo=UTC))
    )
    [event] = parsed.walk("VEVENT")
    assert str(event["summary"]) == "COPIL"
    assert event["dtend"].dt == datetime(2027, 3, 14, 11, 0, tzinfo=UTC)
    assert str(event["location"]) == "Carcassonne"
