"""Running one benchmark step in a process tree of its own, under a memory guard.

    python benchmarks/measure.py --cap-mb 20480 --timeout 900 -- CMD ARGS...

prints, as its last stdout line, a JSON object: wall ``seconds``; ``peak_mb``, the peak resident
memory of the step's whole process tree; ``rc``; ``timed_out``; ``killed`` (over the cap) with
``killed_at_mb``; then the tails of the step's stdout and stderr. :func:`measure` runs a step
through this wrapper, so that each step's ``getrusage(RUSAGE_CHILDREN)`` is its own.

The guard: the wrapper starts the step in a session of its own and every ``POLL`` seconds sums
the resident memory (``/proc/<pid>/stat``) of every process of that session or descended from
it; above the cap it kills the session (SIGKILL) and reports the step as killed at that size
after that many seconds -- a measured result, where a 10M-event run that needs more memory than
the machine has would otherwise take the machine down. The peak reported is the larger of the
polled sum and the largest single process's ``ru_maxrss`` (which catches peaks between polls).
Polling needs Linux's ``/proc``; elsewhere the step runs unguarded (peak from ``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

POLL = 0.2  # seconds between two looks at the tree's memory
PROC = Path("/proc")
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
TAIL = 20_000  # characters of the step's stdout (and stderr) kept


def tree_rss(leader: int) -> int:
    """Bytes resident in the processes of ``leader``'s session and its descendants."""
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process ended meanwhile
            continue
        # Fields after the command name, which is in parentheses and may hold spaces.
        fields = stat[stat.rfind(")") + 2 :].split()
        pid, ppid, session = int(entry.name), int(fields[1]), int(fields[3])
        parent[pid] = -1 if session == leader else ppid
        rss[pid] = int(fields[21]) * PAGE
    total = 0
    for pid, size in rss.items():
        p, seen = pid, 0
        while p not in (-1, leader, 0, 1) and seen < 64:  # walk up to the leader
            p, seen = parent.get(p, 0), seen + 1
        if p in (-1, leader):
            total += size
    return total


def run_guarded(cmd: list[str], cap_mb: float, timeout: float | None) -> dict[str, Any]:
    """Run ``cmd`` under the guard; see the module docstring."""
    guarded = PROC.joinpath("self", "stat").is_file()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=out, stderr=err, start_new_session=True)
        peak, killed_at, timed_out = 0, None, False
        while child.poll() is None:
            elapsed = time.perf_counter() - t0
            if guarded:
                now = tree_rss(child.pid)
                peak = max(peak, now)
                if now > cap_mb * 2**20:
                    killed_at = now
            if timeout is not None and elapsed > timeout:
                timed_out = True
            if killed_at is not None or timed_out:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
                child.wait()
                break
            time.sleep(POLL)
        seconds = time.perf_counter() - t0
        # ru_maxrss is in KiB on Linux (bytes on macOS): the largest single process's peak.
        ru = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        ru_bytes = ru if sys.platform == "darwin" else ru * 1024
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    return {
        "seconds": seconds,
        "peak_mb": max(peak, ru_bytes) / 2**20,
        "rc": child.returncode,
        "timed_out": timed_out,
        "killed": killed_at is not None,
        "killed_at_mb": None if killed_at is None else killed_at / 2**20,
        "stdout": stdout[-TAIL:],
        "stderr": stderr[-TAIL:],
    }


def measure(
    cmd: list[str],
    *,
    cap_mb: float,
    timeout: float | None = None,
    cwd: Path | None = None,
) -> dict[str, Any]:
    """Run ``cmd`` through a fresh wrapper process (this file) and return its measurements."""
    wrapper = [sys.executable, str(Path(__file__).resolve()), "--cap-mb", str(cap_mb)]
    wrapper += ["--timeout", str(timeout or 0), "--", *cmd]
    done = subprocess.run(wrapper, cwd=cwd, capture_output=True, text=True)
    try:
        result: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        return {
            "seconds": None,
            "peak_mb": None,
            "rc": done.returncode,
            "timed_out": False,
            "killed": False,
            "killed_at_mb": None,
            "stdout": "",
            "stderr": f"the measuring wrapper failed: {done.stderr[-2000:]}",
        }
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cap-mb", type=float, required=True, help="kill the step above this RSS")
    p.add_argument("--timeout", type=float, default=0, help="seconds (0: none)")
    p.add_argument("cmd", nargs=argparse.REMAINDER, help="-- CMD ARGS...")
    args = p.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        p.error("no command given")
    result = run_guarded(cmd, args.cap_mb, args.timeout or None)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
