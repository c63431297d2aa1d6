"""bench/abuse.py for one round against real servers: no 5xx, no cart changed by an error answer.

Wall time (the /healthz p99) is the bench's business, never a test's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLASSES = {"cross_user", "error_answers", "wrong_types", "bad_bytes", "alexa_shapes", "alexa_cert", "connections",
           "retries"}
pytestmark = pytest.mark.skipif(not (ROOT.parent / "shared" / "spec" / "webhooks").is_dir(),
                                reason="../shared/spec/webhooks is not beside this checkout")


def test_one_round_of_abuse_gets_no_5xx_and_changes_nothing_on_errors(tmp_path: Path) -> None:
    out = tmp_path / "abuse.json"
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "abuse.py"), "--rounds", "1", "--json", str(out)],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert run.returncode in (0, 1) and out.exists(), run.stdout + run.stderr
    classes = json.loads(out.read_text())["classes"]
    assert set(classes) == CLASSES
    for name, result in classes.items():
        assert result["requests"] > 0, name
        assert {code: n for code, n in result["statuses"].items() if int(code) >= 500} == {}, (name, result["examples"])
        assert result["changed_on_error"] == 0, (name, result["examples"])
    for name in ("cross_user", "retries"):  # no leaked cart or reply, no retry applied twice (no timing involved)
        assert classes[name]["violations"] == [], classes[name]["violations"]
