"""core.people: how a person is named."""

from types import SimpleNamespace

from pilotis.core.people import person_name


def user(full: str, username: str = "agent"):
    return SimpleNamespace(get_full_name=lambda: full, get_username=lambda: username)


def test_full_name_else_username_else_empty():
    assert person_name(user("Paule Parent")) == "Paule Parent"
    assert person_name(user("", "pilote-caf")) == "pilote-caf"
    assert person_name(None) is None
    assert person_name(None, "—") == "—"
