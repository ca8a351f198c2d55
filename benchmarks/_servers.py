"""Starting the pieces a benchmark measures: an S3-compatible server (moto, in its own
process), and the API under gunicorn on a fresh database; and reading a process's memory.

Every server is a child process that gets SIGTERM if the benchmark dies (PR_SET_PDEATHSIG),
and each `start_*` returns an object whose `stop()` is safe to call more than once, so a
benchmark can register them on a `contextlib.ExitStack` and never leave one running."""

from __future__ import annotations

import ctypes
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
S3_ACCESS_KEY = "benchmark"
S3_SECRET_KEY = "benchmark-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGTERM it if the benchmark process goes away."""
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_PDEATHSIG = 1
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class _Child:
    """A server child process with its output in a log file."""

    name = "server"

    def __init__(self, argv: list[str], log_path: Path, env: dict[str, str] | None = None, code: Path = ROOT):
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - the child's, closed in stop()
        self.process = subprocess.Popen(argv, cwd=code, env=env, stdin=subprocess.DEVNULL,
                                        stdout=self._log, stderr=subprocess.STDOUT,
                                        preexec_fn=_die_with_parent)  # noqa: PLW1509 - prctl only

    def _wait_ready(self, url: str, ok_statuses: set[int], seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(url, timeout=1).status_code in ok_statuses:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        log = self.log_tail()
        self.stop()
        raise RuntimeError(f"the {self.name} did not start; its log ends with:\n{log}")

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._log.close()


class S3Server(_Child):
    """moto's S3-compatible server in a separate process, so that it shares neither the
    GIL nor the memory of the benchmark client or of the API worker."""

    name = "S3 server (moto)"

    def __init__(self, logdir: Path):
        port = free_port()
        self.endpoint = f"127.0.0.1:{port}"
        super().__init__([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                         logdir / "moto.log")
        self._wait_ready(f"http://{self.endpoint}/", {200})


def api_env(s3_endpoint: str | None, workdir: Path, database_url: str | None = None) -> dict[str, str]:
    env = {**os.environ,
           "APP_ENV": "production",
           "JWT_SECRET_KEY": "benchmark-secret-" + "x" * 32,
           "DATABASE_URL": database_url or f"sqlite:///{workdir / 'bench.db'}",
           "DEMO_PASSWORD": "benchmark-password",
           "LOG_LEVEL": "WARNING",
           # Production requires both; links in exports are not what is measured.
           "PUBLIC_BASE_URL": "http://127.0.0.1",
           "TRUSTED_HOSTS": "127.0.0.1,localhost"}
    if s3_endpoint:
        env.update({"STORAGE_BACKEND": "minio", "MINIO_ENDPOINT": s3_endpoint,
                    "MINIO_ACCESS_KEY": S3_ACCESS_KEY, "MINIO_SECRET_KEY": S3_SECRET_KEY,
                    "MINIO_SECURE": "false", "MINIO_BUCKET": "bench-evidence"})
    else:
        env.update({"STORAGE_BACKEND": "local", "STORAGE_DIR": str(workdir / "objects")})
    return env


def fresh_database(url: str) -> None:
    """Make `url` an empty database: a SQLite file is removed; a PostgreSQL database is
    created if missing and its public schema dropped and made again (everything in it is
    lost, so point this at a database of its own)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    if target.get_backend_name() == "sqlite":
        if target.database:
            Path(target.database).unlink(missing_ok=True)
        return
    server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}):
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        server.dispose()
    engine = create_engine(target)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def prepare_database(env: dict[str, str], code: Path = ROOT) -> None:
    for args in (["db", "upgrade"], ["seed", "demo"]):
        done = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=code, env=env,
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed ({done.returncode}):\n"
                               f"{done.stdout[-2000:]}{done.stderr[-4000:]}")


def _gunicorn_has_control_socket() -> bool:
    """Recent gunicorn opens a control socket at a per-user default path."""
    from gunicorn.config import KNOWN_SETTINGS

    return any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS)


class Api(_Child):
    """The API under gunicorn with `workers` sync workers; gunicorn's log goes to a file
    (a pipe nobody reads would block the worker once it filled)."""

    name = "API (gunicorn)"

    def __init__(self, env: dict[str, str], logdir: Path, workers: int = 1, app: str = "wsgi:app",
                 code: Path = ROOT):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        argv = [str(BIN / "gunicorn"), "--workers", str(workers), "--worker-class", "sync",
                "--bind", f"127.0.0.1:{self.port}", "--timeout", "120"]
        if _gunicorn_has_control_socket():
            # Not the shared default ~/.gunicorn/gunicorn.ctl another gunicorn may be using.
            argv.append("--no-control-socket")
        super().__init__(argv + [app], logdir / "gunicorn.log", env=env, code=code)
        self._wait_ready(self.url + "/healthz", {200})

    def worker_pids(self) -> list[int]:
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(child) for child in children]


def export_revision(rev: str, target: Path) -> Path:
    """`git archive` of `rev` of this repository into target/code (no .git): the code a
    benchmark's --rev measures, with this virtualenv's packages."""
    code = target / "code"
    code.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev],
                             capture_output=True, check=False)
    if archive.returncode != 0:
        raise RuntimeError(f"git archive {rev} failed: {archive.stderr.decode()[-2000:]}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(code, filter="data")
    return code


def run_code_from(code: Path, env: dict[str, str]) -> str:
    """Make the servers and flask commands started with `env` import the code in `code`
    (first on PYTHONPATH; gunicorn and flask also put their cwd, `code`, first on
    sys.path) and return the `inspect_api` they import, to print: so that "before" is
    really the old code, not this virtualenv's editable install."""
    env["PYTHONPATH"] = str(code)
    done = subprocess.run([sys.executable, "-c", "import inspect_api; print(inspect_api.__file__)"],
                          cwd=code, env=env, capture_output=True, text=True, check=False)
    return done.stdout.strip() or done.stderr.strip()[-300:]


def proc_status_kib(pid: int, field: str) -> int:
    """A memory figure (VmRSS, VmHWM, ...) of a process, in KiB, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


def peak_rss_kib(pid: int) -> int:
    return proc_status_kib(pid, "VmHWM")


def reset_peak_rss(pid: int) -> bool:
    """Reset a process's VmHWM to its current VmRSS (Linux >= 4.0: write 5 to clear_refs).
    False if not allowed; VmHWM then still counts from the process's start."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        return False
    return proc_status_kib(pid, "VmHWM") <= proc_status_kib(pid, "VmRSS") + 64


class RssSampler:
    """Reads a process's VmRSS every `interval` seconds in a thread (a second way to see
    its peak, independent of the kernel's high-water mark)."""

    def __init__(self, pid: int, interval: float = 0.01):
        self.pid = pid
        self.interval = interval
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(proc_status_kib(self.pid, "VmRSS"))
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self.samples.append(proc_status_kib(self.pid, "VmRSS"))
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append(proc_status_kib(self.pid, "VmRSS"))

    @property
    def before(self) -> int:
        return self.samples[0]

    @property
    def peak(self) -> int:
        return max(self.samples)


def workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="inspect-bench-"))


def remove_workdir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
