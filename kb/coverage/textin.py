"""Read a user's text file within bounds, whatever its encoding: BOMs, UTF-8, or Latin-1 by line."""

from __future__ import annotations

import codecs
from pathlib import Path

import click

# A reference list of 40,000 entries is about 8 MB; past that the file is not a reference list,
# and parsing + matching would take minutes. The .aux of a long thesis is well under 1 MB.
MAX_BYTES = 8 * 1024 * 1024

_BOMS = (  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)
# how many lines a "not UTF-8" note names before it says "and N more"
NAMED_LINES = 5


def read_bounded(path: Path, what: str = "a .bib file", limit: int | None = None) -> bytes:
    """The file's bytes, or one clear ClickException line (missing, a folder, unreadable, too big)."""
    path, limit = Path(path), MAX_BYTES if limit is None else limit
    try:
        with path.open("rb") as f:
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise click.ClickException(f"{path}: file not found; give the path of {what}") from None
    except IsADirectoryError:
        raise click.ClickException(f"{path}: is a directory; give the path of {what}") from None
    except OSError as exc:
        raise click.ClickException(
            f"{path}: cannot read ({exc.strerror}); check its permissions"
        ) from None
    if len(data) > limit:
        raise click.ClickException(
            f"{path}: larger than the {_size(limit)} limit for {what}; "
            "split it, or keep only the entries your paper cites (--aux)"
        )
    return data


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:g} MB" if n >= 1024 * 1024 else f"{n:,} bytes"


def decode_bytes(data: bytes) -> tuple[str, list[tuple[int, str]]]:
    """Text and notes [(line, note)]: a BOM decides; else UTF-8, lines that are not read as Latin-1."""
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec), []
            except UnicodeDecodeError as exc:
                line = data[len(bom) : len(bom) + exc.start].decode(codec, "replace").count("\n")
                text = data[len(bom) :].decode(codec, "replace")
                return text, [(line + 1, f"not valid {name} after its byte-order mark; "
                               "unreadable characters became U+FFFD")]
    sniffed = _utf16_without_bom(data)
    if sniffed:
        return data.decode(sniffed, "replace"), [(1, "no byte-order mark; read as UTF-16 "
                                                  "(every other byte is zero)")]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    lines, bad = [], []
    for n, raw in enumerate(data.split(b"\n"), 1):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(_latin(raw))
            bad.append(n)
    named = ", ".join(str(n) for n in bad[:NAMED_LINES])
    more = f" and {len(bad) - NAMED_LINES} more" if len(bad) > NAMED_LINES else ""
    note = (
        f"not UTF-8 at line{'s' if len(bad) > 1 else ''} {named}{more}: read as Latin-1 "
        "(Windows-1252); save the file as UTF-8 to be sure of accented names"
    )
    return "\n".join(lines), [(bad[0], note)]


def _latin(raw: bytes) -> str:
    # "Latin-1" files from Windows tools are really Windows-1252 (curly quotes, dashes in 0x80-0x9F);
    # the five bytes it leaves undefined stay ISO-8859-1 control characters
    return raw.decode("latin-1").translate(_CP1252)


_CP1252 = {
    i: bytes([i]).decode("cp1252")
    for i in range(0x80, 0xA0)
    if i not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
}


def _utf16_without_bom(data: bytes) -> str | None:
    head = data[:4096]
    if len(head) < 8:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def read_text(path: Path, what: str = "a .bib file") -> tuple[str, list[tuple[int, str]]]:
    """A bounded file's text and its decoding notes [(line, note)]."""
    return decode_bytes(read_bounded(path, what))
