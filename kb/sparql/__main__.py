"""`python -m kb.sparql`: rewrite the generated reference in docs/queries.md."""

from pathlib import Path

from kb.sparql.docs import write_docs

write_docs(Path(__file__).resolve().parent.parent.parent / "docs" / "queries.md")
