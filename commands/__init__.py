"""LandGap command line: ``python cli.py COMMAND [options]``; every command has ``--json``.

One module per command (or per family of commands), each with a ``register`` that adds its sub-command(s) to the
parser; this module only assembles them and runs one. Without ``--workspace`` a command uses $LANDGAP_WORKSPACE,
else the built-in sample county. Bad input exits with code 1 and a Chinese message on stderr.
"""
from __future__ import annotations

import argparse
import sys

from commands import available, brief, fit, kpi, layer, ledger, match, plan, seed, stock, store, team, terrain, validate
from commands.common import Parser, command_adder, error_message
from geo.errors import LandGapError
from geo.settings import load_settings


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="cli.py", description="LandGap 工业用地保障与“有项目、无选址”分析")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    command = command_adder(sub)
    for module in (seed, validate, available, ledger, layer, fit, match, brief, plan, terrain, kpi, stock):
        module.register(command)
    store.register(command, sub)        # also adds --user and database URLs to the commands that write
    team.register(command, sub)         # also adds brief --snapshot
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.settings = load_settings()          # the configuration, once, passed down
        return args.func(args)
    except LandGapError as exc:
        print(f"错误：{error_message(exc)}", file=sys.stderr)
        return 1
