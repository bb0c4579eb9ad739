"""`kb coverage` input: encodings, @string concatenation, LaTeX escapes and bounds (#15 item 10)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import main
from kb.coverage import textin
from kb.coverage.bibin import MAX_DEPTH, parse_bib, read_references, resolve_value
from kb.coverage.latex import decode
from kb.coverage.textin import decode_bytes

DATA = Path(__file__).parent / "data" / "coverage"


def test_utf16_with_bom_is_decoded() -> None:
    entries, notes = read_references(DATA / "utf16-bom.bib")
    assert [e.key for e in entries] == ["zou2023", "schramowski2023"]
    assert entries[1].authors[2] == "Deiseroth" and not notes
    assert entries[0].arxiv == "2307.15043"


def test_latin1_lines_are_read_and_named() -> None:
    entries, notes = read_references(DATA / "latin1.bib")
    assert [e.authors[5] for e in entries] == ["Fritz", "Tramèr"]
    assert [(n.line, n.skipped) for n in notes] == [(7, False)]
    assert "not UTF-8 at lines 7, 13, 15" in notes[0].error and "Latin-1" in notes[0].error


def test_latin1_cli_note_and_no_replacement_character() -> None:
    result = CliRunner().invoke(main, ["coverage", str(DATA / "latin1.bib"), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "\ufffd" not in result.output and "not UTF-8 at lines 7" in result.output


@pytest.mark.parametrize(
    "data, text",
    [
        ("Müller".encode("utf-8-sig"), "Müller"),
        (b"\xfe\xff" + "Müller".encode("utf-16-be"), "Müller"),
        ("@misc{k, title={Müller}}".encode("utf-16-le"), "@misc{k, title={Müller}}"),
        (b"\x93quoted\x94 caf\xe9", "“quoted” café"),
    ],
)
def test_decode_bytes(data: bytes, text: str) -> None:
    assert decode_bytes(data)[0] == text


def test_string_macros_joined_with_hash_are_resolved() -> None:
    entries, _ = read_references(DATA / "latin1.bib")
    assert entries[0].venue == (
        "Proceedings of the 16th ACM Workshop on Artificial Intelligence and Security"
    )
    assert entries[1].title == "Extracting Training Data from Diffusion Models"
    macros = {"a": "Proc. of ", "nips": "NeurIPS", "jan": "January"}
    assert resolve_value('a # nips # { 2023}', macros) == "Proc. of NeurIPS 2023"
    assert resolve_value("jan", macros) == "January"
    assert resolve_value('"Safe" # { Latent} # " Diffusion"', macros) == "Safe Latent Diffusion"
    assert resolve_value("{unbalanced", macros) == "unbalanced"


def test_escaped_dollar_survives_and_math_dollars_go() -> None:
    assert decode(r"Costs \$1{,}000 and $\epsilon$-bounded") == "Costs $1,000 and ε-bounded"
    entries, _ = parse_bib(r"@misc{k, title = {The \$5 Jailbreak: {$\alpha$}-Attacks}}")
    assert entries[0].title == "The $5 Jailbreak: α-Attacks"


def test_deep_braces_are_reported_and_the_rest_is_read() -> None:
    deep = "{" * (MAX_DEPTH + 8) + "x" + "}" * (MAX_DEPTH + 8)
    text = f"@misc{{bad, title = {deep}}}\n@misc{{good, title = {{Fine}}}}\n"
    entries, malformed = parse_bib(text)
    assert [e.key for e in entries] == ["good"]
    assert malformed[0].line == 1 and f"nested {MAX_DEPTH + 8} deep" in malformed[0].error


def test_a_file_over_the_size_limit_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textin, "MAX_BYTES", 1024)
    result = CliRunner().invoke(main, ["coverage", str(DATA / "realistic.bib")])
    assert result.exit_code == 1
    assert "realistic.bib: larger than the 1,024 bytes limit" in result.output
    assert len(result.output.strip().splitlines()) == 1
