"""The iCalendar feed of a plan's upcoming meetings (RFC 5545, written by `icalendar`). Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from icalendar import Calendar, Event


@dataclass(frozen=True)
class MeetingEntry:
    uid: str
    title: str
    starts_at: datetime
    minutes: int
    place: str
    description: str
    url: str


def calendar(name: str, entries: Iterable[MeetingEntry], stamp: datetime) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Pilotis//Réunions des instances//FR")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    for entry in entries:
        event = Event()
        event.add("uid", entry.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", entry.starts_at)
        event.add("dtend", entry.starts_at + timedelta(minutes=entry.minutes))
        event.add("summary", entry.title)
        if entry.place:
            event.add("location", entry.place)
        if entry.description:
            event.add("description", entry.description)
        event.add("url", entry.url)
        cal.add_component(event)
    return cal.to_ical()
