"""The team mode's commands of cli.py: accounts (``user add|passwd|disable|enable|list``), registered workspaces
(``workspace-register``), and the weekly history (``snapshot``, ``changes``). Registered by cli.build_parser."""
from __future__ import annotations

import getpass
import json
import sys

from geo.accounts import ROLES, AccountError, Accounts, accounts_path
from geo.vocab import ROLE_LABELS


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


def add_team_commands(sub, command) -> None:
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
