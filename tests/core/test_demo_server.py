"""`pilotis demo_server`: the worker and the server stop together, children included."""

from __future__ import annotations

import subprocess
import sys

from pilotis.core.management.commands import demo_server


def test_stopping_ends_each_process_group():
    # A parent that started a child of its own, as runserver's autoreloader does.
    script = "import subprocess, time; subprocess.Popen(['sleep', '60']); time.sleep(60)"
    processes = [
        subprocess.Popen([sys.executable, "-c", script], start_new_session=True) for _ in range(2)
    ]
    demo_server._stop_all(processes)
    assert all(p.poll() is not None for p in processes)
    groups = subprocess.run(
        ["ps", "-o", "pgid=", "-e"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert not {str(p.pid) for p in processes} & set(groups)  # no child left behind
