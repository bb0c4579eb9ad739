"""Writes to the curated files (#15): `kb add` is atomic across its two files even when killed at
any step, files keep their mode, and bad input is one line, never a traceback."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.atomic import JOURNAL, PENDING
from kb.bib import read_bib
from kb.checks import run_checks
from kb.cli import main
from kb.graph import parse_turtle
from kb.vocab import PAPER

MINI = Path(__file__).parent / "data" / "mini"
KB = str(Path(sys.executable).with_name("kb"))  # the entry point of this environment
ENTRY = "@misc{{x, title={{{title}}}, author={{Doe, Jane}}, year={{2024}}}}"


@pytest.fixture()
def mini(tmp_path):
    dest = tmp_path / "data"
    shutil.copytree(MINI, dest)
    return dest


def digest(data: Path) -> tuple[str, str]:
    return tuple(
        hashlib.sha256((data / name).read_bytes()).hexdigest() for name in ("taxonomy.ttl", "references.bib")
    )


def has_paper(data: Path, key: str) -> tuple[bool, bool]:
    """Whether the paper is in the Turtle and in the bib file."""
    in_ttl = (PAPER[key], None, None) in parse_turtle(data / "taxonomy.ttl")
    in_bib = key in {e.key for e in read_bib(data / "references.bib").entries}
    return in_ttl, in_bib


@pytest.mark.parametrize("step", ["written-1", "written-2", "journal", "renamed-1", "renamed-2"])
def test_add_killed_at_any_step_leaves_all_old_or_all_new(mini, step):
    before = digest(mini)
    proc = subprocess.run(
        [KB, "add", "--concept", "llm.jailbreak-attacks", "--data", str(mini)],
        input=ENTRY.format(title="Killed Halfway Paper"),
        capture_output=True,
        text=True,
        env={**os.environ, "KB_FAILPOINT": step},
    )
    assert proc.returncode == -9, proc.stderr  # it really died at that step
    result = CliRunner().invoke(main, ["check", "--data", str(mini)])  # the next start recovers
    committed = step not in ("written-1", "written-2")
    assert has_paper(mini, "doe2024killed") == (committed, committed)
    if not committed:
        assert digest(mini) == before
    assert not [p.name for p in mini.iterdir() if p.name.endswith(PENDING) or p.name == JOURNAL]
    assert result.exit_code in (0, 1) and "bib-paper" not in result.output
    # and the data takes the next paper
    again = CliRunner().invoke(
        main, ["add", "--concept", "llm.jailbreak-attacks", "--data", str(mini)], input=ENTRY.format(title="Next One")
    )
    assert again.exit_code == 0, again.output
    assert run_checks(mini, skip=frozenset({"implementations"})) == []


def test_add_and_fmt_keep_the_file_mode(mini):
    for name in ("taxonomy.ttl", "references.bib"):
        os.chmod(mini / name, 0o640)
    result = CliRunner().invoke(
        main, ["add", "--concept", "llm.jailbreak-attacks", "--data", str(mini)], input=ENTRY.format(title="Mode Paper")
    )
    assert result.exit_code == 0, result.output
    bib = mini / "references.bib"
    bib.write_text("\n\n".join(reversed(bib.read_text().strip().split("\n\n"))) + "\n")
    assert CliRunner().invoke(main, ["fmt", "--data", str(mini)]).exit_code == 0
    assert {oct(os.stat(mini / n).st_mode & 0o777) for n in ("taxonomy.ttl", "references.bib")} == {"0o640"}


@pytest.mark.parametrize(
    "entry,expected",
    [
        (b"@misc{x, title={Space}, author={Doe, J}, year={2024}, url={https://github.com/a b}}", "the url holds ' '"),
        (b'@misc{x, title={Quote}, author={Doe, J}, year={2024}, url={https://github.com/a">b}}', "the url holds '\"'"),
        (b"@misc{x,\n title={Caf\xe9}, author={Doe, J}, year={2024}}", "<stdin>:2:12: not UTF-8 (byte 0xe9)"),
        (b"@misc{x, title={Open}, author={Doe, J}, year={2024}", "<stdin>:1: unbalanced braces"),
    ],
)
def test_add_bad_input_is_one_line(mini, entry, expected):
    before = digest(mini)
    result = CliRunner().invoke(main, ["add", "--concept", "llm.jailbreak-attacks", "--data", str(mini)], input=entry)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and expected in lines[0], result.output
    assert digest(mini) == before


def test_check_on_an_empty_graph_says_so_in_one_line(mini):
    (mini / "taxonomy.ttl").write_text("")
    result = CliRunner().invoke(main, ["check", "--quiet", "--data", str(mini)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: {mini / 'taxonomy.ttl'}: the graph is empty (no triples); restore the file (git checkout) "
        "or rerun the importer"
    ]


def test_check_on_a_broken_bib_prints_only_our_line(mini):
    bib = mini / "references.bib"
    bib.write_text(bib.read_text() + "\n@article{broken2020x,\n  title = {unbalanced\n")
    proc = subprocess.run(
        [KB, "check", "--quiet", "--data", str(mini)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    assert len(lines) == 1 and "references.bib:" in lines[0] and "invalid BibTeX" in lines[0], lines
