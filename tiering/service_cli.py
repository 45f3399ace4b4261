"""`tiering serve`, `tiering worker` and `tiering db`: the web service from the command line."""

from __future__ import annotations

import logging
import threading


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
