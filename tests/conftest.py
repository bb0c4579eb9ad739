"""Shared fixtures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def survey_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The survey's graph alone (no second source), as data/ held it before #10: for tests whose
    labels were written against the survey's 564 papers (e.g. 'Llama Guard is not in the graph')."""
    if not (SHARED / "survey-v6").exists():
        pytest.skip(f"source data not found at {SHARED}")
    out = tmp_path_factory.mktemp("survey") / "data"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "import_survey.py"), str(SHARED), "--out", str(out),
                    "--survey-only"], check=True, capture_output=True)
    return out
