"""`pilotis demo_server`: the development server and a background-task worker, as one command.

Report files, imports and reminders run in `pilotis db_worker` (django-tasks), out of the web
request. For the demonstration both processes start together, each in its own process group, and
stop together: Ctrl+C (or SIGTERM) stops both, and if either stops, the other is stopped too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand

GRACE_SECONDS = 5


class Command(BaseCommand):
    help = (
        "Lance le serveur de développement et, à côté, un service de tâches de fond "
        "(db_worker) ; Ctrl+C arrête les deux."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport="127.0.0.1:8000", **options):
        pilotis = [sys.executable, "-m", "pilotis"]
        commands = {
            "service de tâches": [*pilotis, "db_worker", "--no-reload", "--interval", "0.5"],
            "serveur web": [*pilotis, "runserver", addrport],
        }
        processes = {
            name: subprocess.Popen(command, start_new_session=True)
            for name, command in commands.items()
        }
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(
            f"Serveur sur http://{addrport}/ et service de tâches de fond lancés ; "
            "Ctrl+C arrête les deux."
        )
        try:
            while not stopping:
                ended = [name for name, p in processes.items() if p.poll() is not None]
                if ended:
                    self.stderr.write(f"Le {ended[0]} s’est arrêté : arrêt de l’autre processus.")
                    break
                time.sleep(0.2)
        finally:
            _stop_all(processes.values())


def _stop_all(processes) -> None:
    """SIGTERM to each process group, then SIGKILL to what still runs after a grace period."""
    for process in processes:
        if process.poll() is None:
            _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)
