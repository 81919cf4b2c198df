"""Wall time and peak memory of a command's whole process tree (parent + workers summed).

``/usr/bin/time -v`` reports the largest single process only; a batch with workers needs
the sum. Samples every 50 ms with psutil; prints one line: seconds, CPU seconds (user +
system of the whole tree: steadier than wall time when others share the cores), peak MiB.

    python3 bench/measure.py -- .venv/bin/gongkai extract FILES --out DIR
"""

from __future__ import annotations

import contextlib
import resource
import subprocess
import sys
import time

import psutil


def _tree_rss(p: psutil.Process) -> int:
    total = 0
    for q in [p, *p.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += q.memory_info().rss
    return total


def main() -> None:
    argv = sys.argv[1:]
    if argv and argv[0] == "--":
        argv = argv[1:]
    t0 = time.perf_counter()
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    ps = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, _tree_rss(ps))
        time.sleep(0.05)
    secs = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    print(
        f"rc {proc.returncode}  seconds {secs:.1f}  cpu {cpu:.1f}  "
        f"peak_tree {peak / 2**20:.0f} MiB",
        flush=True,
    )


if __name__ == "__main__":
    main()
