"""Run `panel serve app` as a child process on 127.0.0.1 (browser tests and the app benchmark)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WARM = "warm-up finished"  # the server's log line once datashader and torch are compiled


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(log_path: Path, torch_threads: int = 1, session_lifetime_ms: int = 5000,
          app_args: list[str] | None = None, **env: str) -> tuple[subprocess.Popen, str]:
    """The server process and its app URL, once it answers and has warmed up.

    A closed tab frees its session within about ``session_lifetime_ms`` + 1 s.
    ``app_args``: the app's own arguments (``panel serve app --args ...``, e.g.
    ``["--data-root", DIR]``). ``env``: extra environment variables (e.g. ``PUMAP_DATA_DIR``).
    """
    port = free_port()
    env = {**os.environ, "PUMAP_APP_TORCH_THREADS": str(torch_threads), "PYTHONUNBUFFERED": "1",
           **env}
    log = open(log_path, "w")  # noqa: SIM115 - the child writes to it; closed with the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "panel", "serve", "app", "--port", str(port),
         "--address", "127.0.0.1", "--num-threads", "2", "--allow-websocket-origin",
         f"127.0.0.1:{port}", "--check-unused-sessions", "1000", "--unused-session-lifetime",
         str(session_lifetime_ms), "--liveness",  # /liveness answers without a session
         *(["--args", *app_args] if app_args else [])],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    try:
        wait_http(f"http://127.0.0.1:{port}/liveness", proc, 90)
        wait_log(log_path, WARM, proc, 180)  # no page asked for yet: the server warms up alone
    except BaseException:
        stop(proc)
        raise
    return proc, f"http://127.0.0.1:{port}/app"


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the server's process group, SIGKILL if it lingers."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(10)


def wait_http(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"panel serve exited with {proc.returncode}; see its log")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def wait_log(log_path: Path, text: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in log_path.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise TimeoutError(f"{text!r} not in the server log after {timeout:.0f} s")
        time.sleep(0.5)


def rss_mb(pid: int) -> tuple[float, float]:
    """(resident, peak resident) MB of process ``pid``."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
