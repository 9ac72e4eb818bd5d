"""Helpers shared by the benchmark scripts: the machine's description and RSS."""

from __future__ import annotations

import os
import platform


def cpu_model() -> str:
    """Return the CPU model name from /proc/cpuinfo, or platform's guess."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as file:
            for line in file:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict:
    """Return what identifies the machine: cores, CPU model, Python and torch."""
    import torch

    return {
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
    }


def rss_mb() -> float:
    """Return this process's resident set size in MiB, from /proc/self/statm."""
    with open("/proc/self/statm", encoding="utf-8") as file:
        pages = int(file.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
