"""How pages, files and messages name a person: full name, else username."""

from __future__ import annotations

from typing import Any


def person_name(user: Any, empty: Any = None) -> Any:
    """The user's full name, else their username; `empty` when there is no user (a command, a
    deleted account)."""
    if user is None:
        return empty
    return user.get_full_name() or user.get_username()
