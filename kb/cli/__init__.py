"""The `kb` command: a thin layer that parses options, calls the library and prints rows.

Sub-commands live one module per concern in this package and are imported only when used,
so that `kb query NAME` starts fast.
"""

from __future__ import annotations

import importlib

import click

from kb import __version__

# command name -> "module:attribute" of its click command, relative to kb.cli
COMMANDS = {
    "check": "data:check",
    "classify": "classify:classify",
    "fmt": "data:fmt",
    "stats": "data:stats",
    "add": "data:add",
    "build": "build:build",
    "query": "query:query",
    "sparql": "query:sparql",
    "gaps": "gaps:gaps",
    "export": "export:export",
    "coverage": "coverage:coverage",
    "site": "site:site",
    "run": "run:run",
    "serve": "serve:serve",
    "store": "store:store",
}


class LazyGroup(click.Group):
    """A group that imports a sub-command's module only when that command runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(f"kb.cli.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"kb.cli.{module_name}":
                return None
            raise
        return getattr(module, attr, None)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command's first sentence whole (click cuts it at 45 characters), wrapped."""
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit=300)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="kb")
def main() -> None:
    """Query, check and publish the large-model safety knowledge base."""
