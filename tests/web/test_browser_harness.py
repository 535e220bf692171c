"""The browser harness: without chromium, browser tests fail on CI and are skipped elsewhere."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CONFTEST = """
from pathlib import Path
import tests.browser.conftest as harness
from tests.browser.conftest import browser  # noqa: F401
harness.CHROMIUM = Path("/nonexistent/chromium")
"""

TEST = """
def test_needs_a_browser(browser):
    pass
"""


@pytest.mark.parametrize(("ci", "outcome"), [("true", "1 error"), ("", "1 skipped")])
def test_missing_chromium_fails_on_ci_and_skips_elsewhere(tmp_path, ci, outcome):
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_it.py").write_text(TEST)
    env = {**os.environ, "CI": ci, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:django",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            "-c",
            os.devnull,
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert outcome in result.stdout, result.stdout + result.stderr
    assert (result.returncode != 0) == bool(ci)
    if ci:
        assert "chromium is missing" in result.stdout
