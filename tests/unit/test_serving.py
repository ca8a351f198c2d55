"""The process gunicorn serves from wsgi.py is tuned (inspect_api/serving.py); checked in
a process of its own, since the tuning is the whole interpreter's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from inspect_api.serving import YOUNG_GENERATION_THRESHOLD

REPO = Path(__file__).resolve().parents[2]
PROBE = """
import gc
import wsgi
young, _, _ = gc.get_threshold()
frozen = gc.get_freeze_count()
cycle = []
cycle.append(cycle)
del cycle
print(young, frozen, gc.isenabled(), gc.collect())
"""


def test_wsgi_freezes_the_start_up_heap_and_collects_the_young_less_often(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'serving.db'}",
           "STORAGE_DIR": str(tmp_path / "objects"), "LOG_LEVEL": "WARNING"}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    young, frozen, enabled, collected = done.stdout.split()
    assert int(young) == YOUNG_GENERATION_THRESHOLD > 700  # Python's default is 700
    assert int(frozen) > 50_000  # modules, the app, the mappers
    # What requests leave in a cycle is still collected.
    assert enabled == "True" and int(collected) >= 1
