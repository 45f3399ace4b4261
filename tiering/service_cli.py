"""`tiering serve`, `tiering worker` and `tiering db`: the web service from the command line."""

from __future__ import annotations

import getpass
import logging
import secrets
import sys
import threading

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def add_parsers(sub) -> None:
    p = sub.add_parser("serve", help="run the web service (migrates; demo data by default)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1, help="web processes")
    p.add_argument("--no-demo", action="store_true", help="do not load the demo accounts and firms")
    p.add_argument(
        "--no-worker",
        action="store_true",
        help="do not run a batch worker inside the server (run `tiering worker` instead)",
    )
    p.add_argument(
        "--demo-on-network",
        action="store_true",
        help="allow the demo accounts (public passwords) on a non-loopback --host",
    )
    p = sub.add_parser("users", help="user accounts: add, disable, reset a password, list")
    p.add_argument("action", choices=["add", "disable", "reset", "list"])
    p.add_argument("username", nargs="?")
    p.add_argument("--role", choices=["firm", "bureau", "admin"], default="firm")
    p.add_argument("--regions", default="", help="bureau: region code prefixes, comma-separated")
    p.add_argument("--name", default="", help="display name")
    p.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    p = sub.add_parser("worker", help="process queued batch jobs")
    p.add_argument("--once", action="store_true", help="stop when no job is waiting")
    p = sub.add_parser("db", help="database schema")
    p.add_argument("action", choices=["upgrade", "downgrade"])
    p.add_argument("revision", nargs="?", default=None)
    sub.add_parser("demo", help="load the demo accounts and sample firms")


def run(args) -> int:
    from service.config import get_settings
    from service.db import downgrade, migrate

    settings = get_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.command == "db":
        if args.action == "upgrade":
            migrate(settings.database_url, args.revision or "head")
        else:
            downgrade(settings.database_url, args.revision or "-1")
        print(f"数据库已更新 / schema {args.action}d: {_safe_url(settings.database_url)}")
        return 0
    if args.command == "users":
        migrate(settings.database_url)
        return users(args, settings)
    demo_served = args.command == "serve" and not args.no_demo and not args.demo_on_network
    if demo_served and args.host not in LOOPBACK:
        print(
            f"拒绝启动：演示账号的密码是公开的，不能在 {args.host} 上对外提供。"
            "请加 --no-demo（正式使用），或确需演示时加 --demo-on-network。\n"
            f"refused: the demo accounts have public passwords; use --no-demo on {args.host}",
            file=sys.stderr,
        )
        return 2
    if args.command == "worker":
        from service.jobs import Worker

        migrate(settings.database_url)
        Worker(settings).run(once=args.once)
        return 0
    migrate(settings.database_url)
    if args.command == "demo" or (args.command == "serve" and not args.no_demo):
        from service.demo import load_demo

        added = load_demo(settings.database_url)
        if added:
            print(f"已载入示例数据：{added} 家示例企业（虚构）与演示账号（见 README）")
        if args.command == "demo":
            return 0
    import uvicorn

    if not args.no_worker:
        from service.jobs import Worker

        # the default name is unique (host:pid:random): two servers on one database must never
        # both pass the lease-owner check
        threading.Thread(target=Worker(settings).run, daemon=True).start()
    print(f"tiering: http://{args.host}:{args.port}  (数据库 {_safe_url(settings.database_url)})")
    uvicorn.run(
        "service.asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        log_level="info",
    )
    return 0


def _safe_url(url: str) -> str:
    """The database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def users(args, settings) -> int:
    """`tiering users add|disable|reset|list`: accounts without the web page. A new or reset
    password is read from standard input (--password-stdin), asked for on a terminal, or
    made at random and printed once; reset and disable end every session of the user."""
    from sqlmodel import Session, select

    from service import accounts
    from service.db import engine_for
    from service.errors import ApiError
    from service.models import User

    with Session(engine_for(settings.database_url)) as session:
        if args.action == "list":
            for u in session.exec(select(User).order_by(User.username)).all():
                state = "" if u.is_active else "（已停用）"
                print(f"{u.username}\t{u.role}\t{u.region_codes}\t{u.display_name}{state}")
            return 0
        if not args.username:
            print("需要用户名 / a username is required", file=sys.stderr)
            return 2
        user = session.exec(select(User).where(User.username == args.username)).first()
        if args.action == "add" and user is not None:
            print(f"用户已存在：{args.username}", file=sys.stderr)
            return 2
        if args.action != "add" and user is None:
            print(f"没有此用户：{args.username}", file=sys.stderr)
            return 2
        try:
            if args.action == "disable":
                accounts.set_active(session, None, user, False)
                print(f"已停用 {args.username}，其所有登录会话已失效")
                return 0
            password, shown = _new_password(args)
            if args.action == "add":
                accounts.create_user(
                    session, None, args.username, password, args.role, args.name, args.regions
                )
            else:
                accounts.reset_password(session, None, user, password)
        except ApiError as exc:
            print(f"{exc.zh} / {exc.en}", file=sys.stderr)
            return 2
        print(f"{'已创建' if args.action == 'add' else '已重置密码'}：{args.username}")
        if shown:
            print(f"初始密码（只显示这一次）：{password}")
    return 0


def _new_password(args) -> tuple[str, bool]:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n"), False
    if sys.stdin.isatty():
        return getpass.getpass("新密码 / new password: "), False
    return secrets.token_urlsafe(12), True
