"""Where a benchmark ran: one record every bench script writes beside its results.

    write_result(path, result, args)   # adds {"run": {date, commit, machine, arguments, ...}}
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def commit() -> str:
    """The checked-out commit, with `+dirty` when the tree has uncommitted changes; `unknown` outside git."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def cpu_model() -> str:
    """The CPU's model name (Whisper's int8 results differ between CPUs), or the platform's word."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run_info(arguments: Any = None) -> dict[str, Any]:
    """Date, commit, machine and the script's arguments: the same keys for every benchmark."""
    args = vars(arguments) if arguments is not None and hasattr(arguments, "__dict__") else arguments
    return {"date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "commit": commit(),
            "script": Path(sys.argv[0]).name, "arguments": {k: str(v) for k, v in (args or {}).items()},
            "machine": {"arch": platform.machine(), "cpu": cpu_model(), "cores": os.cpu_count(),
                        "system": platform.platform(), "python": sys.version.split()[0]}}


def write_result(path: str | Path, result: dict[str, Any], arguments: Any = None) -> Path:
    """``result`` as JSON at ``path`` with its ``run`` record; the folder is made when missing."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({**result, "run": run_info(arguments)}, indent=2, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    print(f"wrote {out}")
    return out
