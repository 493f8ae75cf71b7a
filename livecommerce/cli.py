"""``livecommerce``: serve the platform, mint tokens."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence

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
    _data_dir_arg(serve)

    token = sub.add_parser("token", help="print a signed host or ops token")
    token.add_argument("--role", choices=["ops", "host", "viewer"], required=True)
    token.add_argument("--store", help="the host's store (required for --role host)")
    token.add_argument("--user", help="user id (default: <role>)")
    token.add_argument("--nickname")
    token.add_argument("--ttl", type=int, help="lifetime in seconds")
    _data_dir_arg(token)
    return parser


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
    settings = Settings.from_env(args.data_dir, host=args.host, port=args.port)
    web.run_app(build_app(settings), host=settings.host, port=settings.port, access_log=None,
                print=lambda msg: print(msg, file=sys.stderr, flush=True))
    return 0


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
    if args.command == "token":
        return _token(args)
    raise AssertionError(args.command)  # argparse rejects unknown commands first


if __name__ == "__main__":
    raise SystemExit(main())
