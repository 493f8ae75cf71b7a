"""``livecommerce``: serve the platform, mint tokens, run the ledger worker, verify the books."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from livecommerce.config import Settings

__all__ = ["main"]


def _data_dir_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", default=os.environ.get("LC_DATA_DIR", "./data"),
                   help="where the embedded Redis, SQLite database and secret live (default ./data)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="livecommerce", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP server (embedded Redis and SQLite unless configured)")
    serve.add_argument("--host", default=os.environ.get("LC_HOST", "0.0.0.0"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    serve.add_argument("--log-level", default=os.environ.get("LC_LOG_LEVEL", "INFO"))
    serve.add_argument("--workers", type=int, default=int(os.environ.get("LC_WORKERS", "1")),
                       help="serving processes sharing the port (default 1); the parent restarts any that dies")
    _data_dir_arg(serve)

    demo = sub.add_parser("demo", help="serve with seeded stores, products and a live room from a synthetic host")
    demo.add_argument("--host", default=os.environ.get("LC_HOST", "0.0.0.0"))
    demo.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    demo.add_argument("--no-stream", action="store_true", help="seed only: no room, no synthetic host stream")
    demo.add_argument("--log-level", default=os.environ.get("LC_LOG_LEVEL", "WARNING"))
    _data_dir_arg(demo)

    token = sub.add_parser("token", help="print a signed host or ops token")
    token.add_argument("--role", choices=["ops", "host", "viewer"], required=True)
    token.add_argument("--store", help="the host's store (required for --role host)")
    token.add_argument("--user", help="user id (default: <role>)")
    token.add_argument("--nickname")
    token.add_argument("--ttl", type=int, help="lifetime in seconds")
    _data_dir_arg(token)

    worker = sub.add_parser("worker", help="run a ledger worker (Redis streams -> SQL ledger, settlement)")
    _tool_args(worker)
    worker.add_argument("--claim-idle-s", type=float, default=5.0,
                        help="reclaim entries a dead worker left pending this long (default 5)")
    worker.add_argument("--metrics-port", type=int, help="serve lc_ledger_lag on 127.0.0.1:PORT/metrics")

    verify = sub.add_parser("verify", help="check the books in Redis against the ledger (non-zero on a difference)")
    _tool_args(verify)
    verify.add_argument("--sale", help="only this sale")
    verify.add_argument("--wait", type=float, default=15.0, help="seconds allowed for the ledger to catch up")
    return parser


def _tool_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", default=None,
                   help="data dir of a running serve: Redis from its redis.url, else REDIS_URL; the database "
                        "is DATABASE_URL, else the SQLite file in it")
    p.add_argument("--log-level", default=os.environ.get("LC_LOG_LEVEL", "WARNING"))


def _ledger_tool(args: argparse.Namespace) -> int:
    from livecommerce import ledger_cli

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    redis_url, database_url = ledger_cli.locate(args.data_dir)
    if redis_url is None:
        print(f"livecommerce {args.command}: no Redis: pass --data-dir of a running serve or set REDIS_URL",
              file=sys.stderr)
        return 2
    if args.command == "worker":
        return asyncio.run(ledger_cli.run_worker(redis_url, database_url, claim_idle_s=args.claim_idle_s,
                                                 metrics_port=args.metrics_port))
    return asyncio.run(ledger_cli.run_verify(redis_url, database_url, sale=args.sale, wait_s=args.wait))


def _serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from livecommerce.app import build_app
    from livecommerce.config import Settings

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    if not 1 <= args.workers <= 64:
        print("livecommerce serve: --workers must be 1..64", file=sys.stderr)
        return 2
    settings = Settings.from_env(args.data_dir, host=args.host, port=args.port, workers=args.workers)
    if settings.workers > 1:
        from livecommerce.supervisor import Supervisor

        return asyncio.run(Supervisor(settings, log_level=args.log_level).run())
    # backlog: a flash sale opens thousands of connections within a second; aiohttp's default queue of
    # 128 overflows and the kernel resets them (measured: 2% of 5,000 sign-ins); the kernel caps it
    # at net.core.somaxconn
    web.run_app(build_app(settings), host=settings.host, port=settings.port, access_log=None, backlog=4096,
                reuse_port=settings.worker_index is not None, sock=_internal_sock(settings),
                print=lambda msg: print(msg, file=sys.stderr, flush=True))
    return 0


def _internal_sock(settings: Settings) -> list[socket.socket] | None:
    """A worker's private unix socket (mode 0600 in a 0700 dir), bound before the app starts."""
    from livecommerce.supervisor import internal_socket

    if settings.worker_index is None:
        return None
    path = internal_socket(settings.data_dir, settings.worker_index)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    path.chmod(0o600)
    return [sock]


def _demo(args: argparse.Namespace) -> int:
    from livecommerce.config import Settings
    from livecommerce.demo import run_demo

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env(args.data_dir, host=args.host, port=args.port)
    return asyncio.run(run_demo(settings, stream=not args.no_stream))


def _token(args: argparse.Namespace) -> int:
    from pathlib import Path

    from livecommerce.config import load_secret
    from livecommerce.web.auth import Role, TokenSigner

    role = Role(args.role)
    if role is Role.HOST and not args.store:
        print("livecommerce token: --store is required for --role host", file=sys.stderr)
        return 2
    signer = TokenSigner(load_secret(Path(args.data_dir).resolve()))
    print(signer.mint(role, args.user or role.value, store_id=args.store, nickname=args.nickname, ttl_s=args.ttl))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    if args.command == "demo":
        return _demo(args)
    if args.command == "token":
        return _token(args)
    if args.command in ("worker", "verify"):
        return _ledger_tool(args)
    raise AssertionError(args.command)  # argparse rejects unknown commands first


if __name__ == "__main__":
    raise SystemExit(main())
