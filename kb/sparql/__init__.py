"""Named SPARQL questions (kb/queries/*.rq): list them, bind parameters as values, run them.

The public API, used by `kb query`, the site generator and the HTTP endpoint:
list_queries() / get_query(name) -> NamedQuery(name, description, params, text, path);
run_named(name, params, engine, data_dir) and run_text(text, ...) -> Rows (a list of plain dicts
with .columns); bind_params(query, params) -> {name: (kind, lexical, datatype)}.
"""

from kb.sparql.docs import DOCS_BEGIN, DOCS_END, reference_markdown, write_docs
from kb.sparql.engine import ENGINES, Rows, compact, run_named, run_text, with_values
from kb.sparql.library import (
    PARAM_TYPES,
    QUERY_DIR,
    NamedQuery,
    Param,
    QueryError,
    bind_params,
    get_query,
    list_queries,
    load_query,
    parse_header,
    projected_variables,
)
from kb.sparql.store import (
    CACHE_ENV,
    DEFAULT_ENGINE,
    cache_root,
    disk_store,
    load_file,
    oxigraph_store,
)

__all__ = [
    "CACHE_ENV",
    "DEFAULT_ENGINE",
    "DOCS_BEGIN",
    "DOCS_END",
    "ENGINES",
    "PARAM_TYPES",
    "QUERY_DIR",
    "NamedQuery",
    "Param",
    "QueryError",
    "Rows",
    "bind_params",
    "cache_root",
    "compact",
    "disk_store",
    "get_query",
    "list_queries",
    "load_file",
    "load_query",
    "oxigraph_store",
    "parse_header",
    "projected_variables",
    "reference_markdown",
    "run_named",
    "run_text",
    "with_values",
    "write_docs",
]
