"""The registry of what each app keeps about a user.

Each app registers, in its AppConfig.ready(), a section: a function that
exports the user's data as JSON-ready values and, optionally, one that lists
the storage names of the user's files. "Download my data" builds its export
from every section; "delete my account" removes every listed file.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone


@dataclass(frozen=True)
class UserDataSection:
    name: str
    export: Callable[[Any], Any]
    files: Callable[[Any], Iterable[str]] | None = None


_sections: dict[str, UserDataSection] = {}


def register(name: str, *, export: Callable[[Any], Any], files: Callable[[Any], Iterable[str]] | None = None) -> None:
    if name in _sections and _sections[name].export is not export:
        raise ValueError(f"A user data section named {name!r} is registered already.")
    _sections[name] = UserDataSection(name=name, export=export, files=files)


def sections() -> list[UserDataSection]:
    return list(_sections.values())


def export_user_data(user) -> dict[str, Any]:
    return {
        "format": "craftads-user-export",
        "version": 1,
        "exported_at": timezone.now().isoformat(),
        "user_id": str(user.pk),
        "sections": {section.name: section.export(user) for section in _sections.values()},
    }


def user_file_names(user) -> list[str]:
    names: list[str] = []
    for section in _sections.values():
        if section.files is not None:
            names.extend(name for name in section.files(user) if name)
    return names
