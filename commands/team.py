"""The team mode's commands of cli.py: accounts (``user add|passwd|disable|enable|list``), registered workspaces
(``workspace-register``), and the weekly history (``snapshot``, ``changes``). Registered by commands.build_parser."""
from __future__ import annotations

import getpass
import json
import sys

from commands.common import date_arg, store_target, target_arg, user_name
from geo.vocab import ROLE_LABELS
from geo.workspace import Workspace
from team.accounts import ROLES, AccountError, Accounts, accounts_path


def _accounts(args) -> Accounts:
    cfg = args.settings.accounts
    return Accounts(accounts_path(cfg.database), cfg)


def _password(args, confirm: bool = True) -> str:
    """From stdin (--password-stdin: the first line) or an interactive prompt asked twice; never an argument."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("密码：")
    if confirm and getpass.getpass("再输入一次：") != first:
        raise AccountError("两次输入的密码不一致")
    return first


def cmd_user(args) -> int:
    with _accounts(args) as acc:
        if args.action == "list":
            rows = [{"name": a.name, "role": a.role, "disabled": a.disabled} for a in acc.users()]
            if args.json:
                print(json.dumps({"users": rows}, ensure_ascii=False, indent=2))
            else:
                for r in rows:
                    print(f"{r['name']}\t{ROLE_LABELS[r['role']]}" + ("\t已停用" if r["disabled"] else ""))
            return 0
        if not args.name:
            raise AccountError("请用 --name 给出账号名")
        if args.action == "add":
            acc.add(args.name, args.role or "viewer", _password(args))
            said = f"已添加账号 {args.name}（{ROLE_LABELS[args.role or 'viewer']}）"
        elif args.action == "passwd":
            acc.set_password(args.name, _password(args))
            if args.role:
                acc.set_role(args.name, args.role)
            said = f"已重设账号 {args.name} 的密码（已解除锁定，原有登录已失效）"
        elif args.action == "role":
            if not args.role:
                raise AccountError("请用 --role 给出角色")
            acc.set_role(args.name, args.role)
            said = f"账号 {args.name} 的角色改为 {ROLE_LABELS[args.role]}"
        else:
            acc.set_disabled(args.name, args.action == "disable")
            said = f"已{'停用' if args.action == 'disable' else '启用'}账号 {args.name}"
    if args.json:
        print(json.dumps({"ok": True, "name": args.name}, ensure_ascii=False))
    else:
        print(said)
    return 0


def cmd_workspace_register(args) -> int:
    with _accounts(args) as acc:
        if args.remove:
            acc.remove_workspace(args.name)
        else:
            acc.register_workspace(args.name, args.target, getpass.getuser())
        listed = acc.workspaces()
    print(json.dumps({"workspaces": listed}, ensure_ascii=False, indent=2) if args.json else
          "\n".join(f"{k}\t{v}" for k, v in listed.items()) or "（没有登记的工作空间）")
    return 0


def register(command, sub) -> None:
    p = command("user", cmd_user, "团队模式的账号：添加、重设密码、改角色、停用/启用、列出（密码从提示或标准输入读取）",
                workspace=False)
    p.add_argument("action", choices=["add", "passwd", "role", "disable", "enable", "list"])
    p.add_argument("--name", help="账号名")
    p.add_argument("--role", choices=list(ROLES), help="角色：viewer 查看、editor 编辑、admin 管理（add 默认 viewer）")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入的第一行读取密码（脚本用）")

    p = command("workspace-register", cmd_workspace_register,
                "团队模式：登记一个可供打开的工作空间（服务器上的 .gpkg 或 postgresql:// 数据库）", workspace=False)
    p.add_argument("--name", required=True, help="在页面上显示的名称")
    p.add_argument("--target", default="", help="GeoPackage 路径或 postgresql:// 地址")
    p.add_argument("--remove", action="store_true", help="取消登记")
    add_history_commands(sub, command)


# ------------------------------------------------------------------------------------------- weekly history

def current_snapshot(args, store):
    """The workspace as it stands, matched (the default scenario), as an unsaved snapshot."""
    import datetime as dt

    import matching
    from formats.dem import with_steep_land
    from stores import snapshots
    ws = with_steep_land(store.load(), args.settings.terrain.max_slope_pct)
    result = matching.match(ws, None, settings=args.settings, unlocks=False)     # a snapshot keeps no unlocks
    return snapshots.take(ws, result, user_name(args), getattr(args, "data_date", None) or dt.date.today())


def _diff_text(d) -> str:
    from geo.units import fmt_mu
    from geo.vocab import GAP_ZONE_LABELS, PARCEL_STATUS_LABELS as P, PROJECT_STAGE_LABELS as S
    lines = [f"快照 {d.before_id}（{d.before_date}）→ {'当前' if d.after_id is None else d.after_id}"
             f"（{d.after_date}）"]
    for pid, old, new in d.parcels_changed:
        lines.append(f"地块 {pid}：{P.get(old, old or '（无）')} → {P.get(new, new or '（已删除）')}")
    lines += [f"新增项目 {pid} {name}" for pid, name in d.projects_added]
    lines += [f"项目 {pid} {name}：{S.get(a, a)} → {S.get(b, b)}" for pid, name, a, b in d.projects_advanced]
    lines += [f"新落实选址 {pid} {name}" for pid, name in d.projects_placed]
    before, after, delta = d.figures["unplaced_gap_mu"]
    lines.append(f"{GAP_ZONE_LABELS['unplaced_gap_mu']}：{fmt_mu(before)} → {fmt_mu(after)}（{delta:+.1f} 亩）")
    return "\n".join(lines)


def cmd_snapshot(args) -> int:
    from stores import open_store, snapshots
    with open_store(store_target(args), args.settings) as store:
        snap = snapshots.save(store, current_snapshot(args, store))
    c = snap.county
    print(json.dumps({"id": snap.id, "at": snap.at, "data_date": snap.data_date, "county": c}, ensure_ascii=False,
                     indent=2) if args.json else
          f"已保存快照 {snap.id}（数据日期 {snap.data_date}）：待落地项目 {c['pending_count']:.0f} 个，"
          f"有项目、无选址 {c['unplaced_count']:.0f} 个，用地缺口 {c['unplaced_gap_mu']:.1f} 亩")
    return 0


def cmd_changes(args) -> int:
    from stores import open_store, snapshots
    with open_store(store_target(args), args.settings) as store:
        saved = snapshots.all_snapshots(store)
        base = snapshots.pick(saved, args.since_snapshot)
        after = snapshots.pick(saved, args.to_snapshot) if args.to_snapshot else current_snapshot(args, store)
    d = snapshots.compare(base, after)
    print(json.dumps(d.to_dict(), ensure_ascii=False, indent=2) if args.json else _diff_text(d))
    return 0


def briefing_since(args, ws: Workspace, result):
    """For `brief`: the SnapshotDiff from the latest snapshot to this briefing's data (None when there is none);
    with --snapshot the briefing's own snapshot is saved too (the next briefing compares with it)."""
    import datetime as dt

    from seeds.sample import default_workspace_path
    from stores import open_store, snapshots
    target = args.workspace or default_workspace_path(args.settings.runtime)
    from briefing import workspace_data_date
    snap = snapshots.take(ws, result, user_name(args), workspace_data_date(ws) or args.as_of or dt.date.today())
    with open_store(target, args.settings) as store:
        saved = snapshots.all_snapshots(store)
        if args.snapshot:
            snap = snapshots.save(store, snap)
    return snapshots.compare(saved[-1], snap) if saved else None


def add_history_commands(sub, command) -> None:
    """`snapshot`, `changes`, and `brief --snapshot`."""
    brief = sub.choices["brief"]
    brief.add_argument("--snapshot", action="store_true", help="同时保存本次简报的快照（下次简报据此说明变化）")
    brief.add_argument("--user", help="记入快照的用户名（默认：操作系统用户）")
    for name, func, text in (
            ("snapshot", cmd_snapshot, "保存一次快照（全县缺口数字、地块状态、项目阶段和选址），供“本周 vs 上周”比较"),
            ("changes", cmd_changes, "本周 vs 上周：自某次快照（默认最近一次）以来地块状态、项目和缺口的变化")):
        p = command(name, func, text, workspace=False)
        p.add_argument("--workspace", type=target_arg, help="工作空间 GeoPackage 或 postgresql:// 数据库")
        p.add_argument("--user", help="记入快照的用户名（默认：操作系统用户）")
        p.add_argument("--data-date", type=date_arg, help="数据日期 YYYY-MM-DD（默认今天）")
        if name == "changes":
            p.add_argument("--since-snapshot", type=int, help="与哪次快照比较（编号；默认最近一次）")
            p.add_argument("--to-snapshot", type=int, help="比较到哪次快照（默认：当前数据）")
