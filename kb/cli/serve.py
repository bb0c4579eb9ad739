"""`kb serve`: the read-only SPARQL endpoint."""

from __future__ import annotations

from pathlib import Path

import click

from kb.graph import taxonomy_path


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind (keep it local unless you mean to publish).",
)
@click.option(
    "--port",
    default=7878,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="TCP port (0: any free port).",
)
@click.option(
    "--timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds a query may run.",
)
@click.option(
    "--max-rows",
    default=10_000,
    show_default=True,
    type=click.IntRange(1),
    help="Rows (or triples) per answer; more are cut off.",
)
@click.option(
    "--max-body",
    default=64 * 1024,
    show_default=True,
    type=click.IntRange(1),
    help="Largest query in bytes.",
)
@click.option(
    "--workers", default=None, type=click.IntRange(1), help="Query processes [default: CPUs]."
)
@click.option(
    "--max-memory",
    default=256,
    show_default=True,
    type=click.IntRange(16),
    help="MB of memory a query may take in its process (enforced by the OS).",
)
@click.option(
    "--max-response",
    default=16,
    show_default=True,
    type=click.IntRange(1),
    help="MB of one answer.",
)
@click.option(
    "--slow-lane",
    default=2,
    show_default=True,
    type=click.IntRange(1),
    help="Long-running queries that may run at once, at low priority.",
)
@click.option(
    "--per-client",
    default=8,
    show_default=True,
    type=click.IntRange(1),
    help="Requests in progress per client address.",
)
@click.option(
    "--graph",
    "graph_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Serve this Turtle/N-Triples file instead of data/taxonomy.ttl.",
)
@click.option(
    "--store",
    "store_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Serve a prebuilt store (`kb store build`) or pyoxigraph directory, read-only.",
)
@click.option("--quiet", is_flag=True, help="No access log.")
def serve(
    host,
    port,
    timeout,
    max_rows,
    max_body,
    workers,
    max_memory,
    max_response,
    slow_lane,
    per_client,
    graph_file,
    store_dir,
    quiet,
):
    """Serve the graph as a read-only SPARQL 1.1 endpoint at http://HOST:PORT/sparql."""
    from kb.serve import Limits, Source, make_server, worker_count
    from kb.serve.limits import MB

    if graph_file and store_dir:
        raise click.UsageError("give --graph or --store, not both")
    if store_dir:
        from kb.store import open_store, oxigraph_dir, read_meta

        if read_meta(store_dir) is not None:  # a `kb store build` directory: refuse a stale one
            open_store(store_dir)
        source = Source(oxigraph_dir(store_dir), on_disk=True)
    else:
        source = Source(graph_file or taxonomy_path())
        if not source.path.exists():
            raise click.ClickException(
                f"{source.path}: file not found; run the importer or set KB_DATA"
            )
    limits = Limits(
        timeout=timeout,
        max_rows=max_rows,
        max_body=max_body,
        workers=workers or worker_count(),
        max_memory=max_memory * MB,
        max_response=max_response * MB,
        slow_lane=slow_lane,
        per_client=per_client,
    )
    try:
        server = make_server(source, host, port, limits, quiet=quiet)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port} ({exc.strerror}); pick another --port"
        ) from None
    bound_host, bound_port = server.server_address[:2]
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: listening on {host}, reachable from other machines", err=True)
    click.echo(
        f"serving {source.path} at http://{bound_host}:{bound_port}/sparql "
        f"({limits.workers} workers + {slow_lane} slow, {timeout:g} s, {max_rows} rows, "
        f"{max_memory} MB per query); Ctrl-C stops",
        err=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
