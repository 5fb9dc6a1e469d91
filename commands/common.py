"""What every command shares: the Chinese-speaking parser, argument types, loading the workspace, printing JSON or text,
progress on long solves, and the store target of the commands that write."""
from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

import geo.errors as E
from formats.dem import with_steep_land
from geo.errors import InputError
from geo.parse import parse_date
from seeds.sample import default_workspace_path
from stores import is_database_url, mask_password
from stores.gpkg_file import load_workspace


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's default exits 2 in English
        self.print_usage(sys.stderr)
        print(f"参数错误：{message}", file=sys.stderr)
        sys.exit(1)


# the CLI's words for what an error asks of the user: the option to give (the library names no flag)
OPTION_FOR_CODE = {E.LAYER_NAME_REQUIRED: "--layer-name", E.CRS_REQUIRED: "--crs", E.ENCODING_REQUIRED: "--encoding",
                   E.NEED_REQUIRED: "--need-mu 或 --floor-m2", E.MIN_MU_INVALID: "--min-mu", E.CRS_INVALID: "--crs",
                   E.DATUM_INVALID: "--datum", E.DEFAULT_INVALID: "--default", E.TARGET_INVALID: "--into",
                   E.FIELD_MISSING: "--default 字段=取值"}


def error_message(exc: Exception) -> str:
    """An error as the CLI says it: the library's message, and the option to use where its code asks for one."""
    option = OPTION_FOR_CODE.get(getattr(exc, "code", None))
    return f"{exc}（选项 {option}）" if option else str(exc)


def date_arg(text: str):
    try:
        return parse_date(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def number_arg(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}”不是数值") from None


def workspace_file(args) -> Path:
    """The workspace GeoPackage the command reads: --workspace, else the default (sample) workspace."""
    return Path(args.workspace or default_workspace_path(args.settings.runtime))


def load_ws(args, *, terrain: bool = True):
    """The workspace for the engine, with its DEM's steep land read for the configured [terrain] max_slope_pct
    (the engine does no I/O); ``terrain=False`` for commands that never offer land (``stock``). ``--county``:
    one county's rows only, filtered in the read (stores.gpkg_file)."""
    path = args.workspace or default_workspace_path(args.settings.runtime)
    ws = load_workspace(path, args.settings, getattr(args, "county", None))
    return with_steep_land(ws, args.settings.terrain.max_slope_pct) if terrain else ws


def county_option(p: argparse.ArgumentParser, *, per_county_table: bool = True) -> None:
    """``--county CODE``: one county of a city or province workspace (geo.county); without it the whole workspace
    (and, where the command has one, its per-county table)."""
    rest = "不给则全部，并分县列表" if per_county_table else "不给则全部"
    p.add_argument("--county", help=f"县级行政区划代码（GB/T 2260，6 位）：只计该县；{rest}")


def emit(args, payload: dict, text: str) -> None:
    print(json.dumps(payload, ensure_ascii=False, indent=2, default=str) if args.json else text)


def with_progress(run):
    """``run(progress)`` with a progress line on stderr for long solves when a person is watching (stderr a
    terminal), cleared when done; pipes and --json output stay clean."""
    if not sys.stderr.isatty():
        return run(None)

    def report(fraction: float, message: str) -> None:
        print(f"\r[{fraction:4.0%}] {message}\033[K", end="", file=sys.stderr, flush=True)
    try:
        return run(report)
    finally:
        print("\r\033[K", end="", file=sys.stderr, flush=True)


def store_target(args):
    """--workspace (a .gpkg path or postgresql:// URL), else $LANDGAP_DATABASE_URL, else the default workspace."""
    return args.workspace or args.settings.runtime.database_url or default_workspace_path(args.settings.runtime)


def target_arg(text: str):
    return text if is_database_url(text) else Path(text)


def user_name(args) -> str:
    if getattr(args, "user", None):
        return args.user
    try:
        return getpass.getuser()
    except Exception:          # no login name (container, service)
        return "unknown"


def safe_url(target):
    """A postgresql:// URL without its password; a path as it is."""
    return mask_password(target) if is_database_url(str(target)) else target


def command_adder(sub):
    """``command(name, func, help_text, workspace=True)``: a sub-command with --json (and --workspace)."""
    def command(name: str, func, help_text: str, workspace: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        p.add_argument("--json", action="store_true", help="输出 JSON")
        if workspace:
            p.add_argument("--workspace", type=Path, help="工作空间 GeoPackage（默认：示例县）")
        return p
    return command
