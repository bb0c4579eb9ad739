"""Atomic file writing: write beside the target, then os.replace; readers never see half a file.

Several files that must change together (`kb add` writes taxonomy.ttl and references.bib) go
through a journal: every new file is written in full beside its target, then the journal naming
them is written (the commit point), then each is renamed onto its target and the journal removed.
A process killed at any step leaves either the old files (no journal: leftovers are deleted) or
a journal that `recover` completes on the next start. A file keeps its mode (e.g. 0644).
"""

from __future__ import annotations

import json
import os
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path

JOURNAL = ".kb-write.journal"
PENDING = ".kb-write.tmp"  # suffix of a new file written under the journal's protection


def _mode_for(path: Path) -> int:
    """The mode the target has now, or the usual mode for a new file (0666 less the umask)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def failpoint(name: str) -> None:
    """Die here, as a crash would, when KB_FAILPOINT names this step (for the tests)."""
    if os.environ.get("KB_FAILPOINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call write(tmp) on a temporary file in path's folder, then move it onto path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _mode_for(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, mode)  # mkstemp makes 0600; keep the target's mode
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    """Write text (UTF-8) to path atomically."""

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    return atomic_write(path, write)


def _pending(path: Path) -> Path:
    return path.with_name(f".{path.name}{PENDING}")


def _write_synced(path: Path, text: str, mode: int) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(path, mode)


def write_together(files: dict[Path, str], journal_dir: Path) -> None:
    """Replace several files as one change: after a crash, `recover` gives all old or all new."""
    recover(journal_dir, files)
    journal = Path(journal_dir) / JOURNAL
    for n, (path, text) in enumerate(files.items(), 1):
        _write_synced(_pending(path), text, _mode_for(path))
        failpoint(f"written-{n}")
    record = [{"new": str(_pending(p)), "target": str(p)} for p in files]
    atomic_write_text(journal, json.dumps(record))  # the commit point
    failpoint("journal")
    for n, path in enumerate(files, 1):
        os.replace(_pending(path), path)
        failpoint(f"renamed-{n}")
    journal.unlink()


def recover(journal_dir: Path, files: dict[Path, str] | None = None) -> str | None:
    """Finish or undo a write_together that was interrupted; say which, or None if nothing was.

    With a journal, every new file still pending is moved onto its target (roll forward); without
    one, pending files of `files` are deleted (the change never committed).
    """
    journal = Path(journal_dir) / JOURNAL
    if journal.exists():
        try:
            record = json.loads(journal.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record = None
        if isinstance(record, list):
            for item in record:
                if os.path.exists(item["new"]):
                    os.replace(item["new"], item["target"])
            journal.unlink()
            return "completed an interrupted write of " + ", ".join(
                Path(i["target"]).name for i in record
            )
        journal.unlink()  # written by atomic_write_text, so only a foreign file can be unreadable
    undone = [p for p in (files or {}) if _pending(p).exists()]
    for p in undone:
        _pending(p).unlink()
    return "discarded an unfinished write of " + ", ".join(p.name for p in undone) if undone else None
