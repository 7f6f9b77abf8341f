"""Helpers shared by the benchmark scripts: process memory, machine facts,
formatting."""

from __future__ import annotations

import os
import platform
import subprocess
from typing import Optional

HERE = os.path.dirname(os.path.abspath(__file__))
MB = 1024 * 1024

__all__ = [
    "_can_reset_peak",
    "_fmt_git",
    "_fmt_size",
    "_git_head",
    "_load",
    "_machine",
    "_proc_status",
    "_reset_peak",
]


def _proc_status() -> dict[str, int]:
    """VmRSS and VmHWM in bytes (Linux)."""
    out: dict[str, int] = {}
    with open("/proc/self/status", "rb") as f:
        for line in f:
            if line.startswith((b"VmRSS:", b"VmHWM:")):
                key, value = line.split()[:2]
                out[key.decode()[:-1]] = int(value) * 1024
    return out


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # VmHWM := VmRSS


def _can_reset_peak() -> bool:
    try:
        _reset_peak()
        return "VmHWM" in _proc_status()
    except OSError:
        return False


def _fmt_size(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        mem = f", {kb / MB:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{platform.platform()}, {os.cpu_count()} CPUs ({cpu}){mem}"


def _load() -> Optional[float]:
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def _git_head() -> Optional[str]:
    try:
        proc = subprocess.run(
            ["git", "-C", os.path.dirname(HERE), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() or None


def _fmt_git(git: tuple[Optional[str], Optional[str]]) -> str:
    start, end = git
    if start == end:
        return start or "-"
    return f"{start or '-'} at the start, {end or '-'} at the end"
