"""Fixtures shared by every test package: cheap password hashing, a real SMTP server on a free
local port, and a report file cache of each test's own."""

from __future__ import annotations

import re
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from django.db import connection, transaction
from django.test import override_settings

from tests.hashers import TEST_PASSWORD_HASHERS


class Inbox:
    """aiosmtpd handler keeping every message that arrives, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        message = message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def only(self) -> EmailMessage:
        assert len(self.messages) == 1, [m["Subject"] for m in self.messages]
        return self.messages[0]

    @staticmethod
    def body(message: EmailMessage) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    def link(self, message: EmailMessage, prefix: str, host: str = "http://testserver") -> str:
        """The path of the first link of the message starting with `prefix`."""
        pattern = rf"{re.escape(host)}({re.escape(prefix)}\S*)"
        found = re.search(pattern, self.body(message))
        assert found, self.body(message)
        return found.group(1)


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashers():
    """Argon2 and PBKDF2 with the cheapest parameters (tests/hashers.py) for the whole session."""
    with override_settings(PASSWORD_HASHERS=TEST_PASSWORD_HASHERS):
        yield


class ModuleRows:
    """Rows written once for the tests of a module that ask for them, like Django's
    setUpTestData: they are written in a transaction opened before the first such test and kept
    open around the following ones (each test still runs in its own savepoint, rolled back at
    its end, so what a test changes never reaches the next). The transaction is rolled back as
    soon as a test of the module that does not ask for the rows comes, and after the module.

    A package's conftest opens it from an autouse fixture (which pytest runs before `db` opens
    the test's own transaction): `rows.keep(build)` for the tests that want the rows, else
    `rows.release()`. Tests on a `transactional_db` cannot share rows (they commit and flush).
    """

    def __init__(self, blocker) -> None:
        self.blocker = blocker
        self.atomic = None
        self.value = None

    def keep(self, build):
        """What `build()` returned, calling it (and writing its rows) on the first test only."""
        if self.atomic is None:
            assert not connection.in_atomic_block, "shared rows must be written before `db`"
            with self.blocker.unblock():
                self.atomic = transaction.atomic()
                self.atomic.__enter__()
                try:
                    self.value = build()
                except BaseException:
                    self.release()
                    raise
        return self.value

    def check_shared(self) -> None:
        """Fail a test that would run outside a savepoint of the shared transaction."""
        assert self.atomic is not None and connection.savepoint_ids, (
            "shared rows need the `db` fixture (a savepoint per test), not `transactional_db`"
        )

    def release(self) -> None:
        if self.atomic is not None:
            atomic, self.atomic, self.value = self.atomic, None, None
            with self.blocker.unblock():
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)


@pytest.fixture(scope="module")
def module_rows(django_db_setup, django_db_blocker):
    """The module's ModuleRows (see there): rolled back after the module's last test."""
    rows = ModuleRows(django_db_blocker)
    yield rows
    rows.release()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """A real SMTP server on 127.0.0.1; Django's SMTP backend sends to it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    # pytest-django swaps in the in-memory backend: put the real one back, pointed at the server.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "Pilotis <ne-pas-repondre@pilotis.test>"
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    """Background tasks run at once, in the test's process and transaction (django-tasks).

    tests/core/test_worker.py starts a real worker process on the database backend instead.
    """
    settings.TASKS = {"default": {"BACKEND": settings.TASKS_BACKENDS["immediate"]}}


@pytest.fixture(autouse=True)
def report_cache(settings, request):
    """Each test renders its reports afresh: a cache in memory, its own (reports.files)."""
    settings.CACHES = {
        **settings.CACHES,
        "reports": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"reports-{request.node.nodeid}",
        },
    }
    from django.core.cache import caches

    caches["reports"].clear()
    yield caches["reports"]
