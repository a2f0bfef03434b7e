"""The one test with a real worker: `pilotis db_worker` picks up a report job and completes it.

Every other test runs tasks at once (the immediate backend, tests/conftest.py). Here the task goes
through the database backend to a separate worker process, as in production. SQLite's test
database lives in memory, out of another process's reach: it is copied to a file for the worker
and copied back afterwards; PostgreSQL's test database is shared as it is.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache.backends.filebased import FileBasedCache
from django.db import connection

from pilotis.core.models import Job
from tests.reports.conftest import build_followed_plan
from tests.reports.test_views import annual_url, member

pytestmark = pytest.mark.django_db(transaction=True)


def database_url(settings_dict: dict) -> str:
    user = settings_dict["USER"] or ""
    password = f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
    host = settings_dict["HOST"] or "127.0.0.1"
    port = settings_dict["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


@contextlib.contextmanager
def shared_database(tmp_path: Path):
    """A DATABASE_URL another process can open, holding what the test wrote, then its writes."""
    if connection.vendor != "sqlite":
        yield database_url(connection.settings_dict)
        return
    connection.ensure_connection()
    memory = connection.connection
    path = tmp_path / "worker.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as copy:
        memory.backup(copy)
    yield f"sqlite:///{path}"
    with contextlib.closing(sqlite3.connect(path)) as copy:
        copy.backup(memory)


def test_a_worker_process_prepares_the_file(client, settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": settings.TASKS_BACKENDS["database"]}}
    plan = build_followed_plan()
    client.force_login(member(plan, "copil"))
    location = client.get(annual_url(plan, fmt="xlsx"))["Location"]
    job = Job.objects.get()
    assert location == f"/rapports/preparation/{job.pk}/" and job.status == Job.Status.QUEUED

    cache_dir = tmp_path / "reports"
    with shared_database(tmp_path) as url:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "PILOTIS_DEBUG": "true",
            "PILOTIS_VAR_DIR": str(tmp_path),
            "PILOTIS_REPORT_CACHE_DIR": str(cache_dir),
            "PILOTIS_TASKS_BACKEND": "database",
        }
        worker = subprocess.run(
            [sys.executable, "-m", "pilotis", "db_worker", "--batch", "--no-reload"]
            + ["--no-startup-delay", "--interval", "0"],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
    assert worker.returncode == 0, worker.stderr

    job.refresh_from_db()
    assert job.status == Job.Status.READY, job.error
    assert job.progress == 100 and job.started_at and job.finished_at
    content = FileBasedCache(str(cache_dir), {}).get(job.result["cache_key"])
    assert content[:2] == b"PK"  # the XLSX, in the store the web processes read
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.get(id=job.task_id).status == "SUCCESSFUL"
