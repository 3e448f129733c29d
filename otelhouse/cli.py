"""The `otelhouse` command: serve the stack, run one part, migrate, show the configuration."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from dashboard.auth import cli as auth_cli
from otelhouse.config import ConfigError, Settings, load_settings, production_problems
from otelhouse.memory import tune_malloc
from retention import cli as retention_cli

DESCRIPTION = """\
otelhouse: a self-hosted observability stack on ClickHouse.

Configuration comes in layers, later wins: built-in defaults < otelhouse.toml (or the file named by
OTELHOUSE_CONFIG; sections [development], [staging], [production] chosen by OTELHOUSE_ENV) <
OTELHOUSE_SECTION_KEY environment variables < secrets read from files named by OTELHOUSE_SECTION_KEY_FILE.
See `otelhouse config show` for every setting, its value and where it came from."""

PART_HELP = {
    "serve": "run collector, dashboard and retention scheduler in one process (needed for the embedded "
    "engine, which one process opens at a time)",
    "collector": "run only the collector (OTLP/HTTP, /metrics); for a ClickHouse server URL",
    "dashboard": "run only the dashboard; for a ClickHouse server URL",
    "retention": "run only the retention scheduler; for a ClickHouse server URL",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="otelhouse", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", metavar="FILE", help="configuration file (default: ./otelhouse.toml)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, text in PART_HELP.items():
        part = sub.add_parser(name, help=text, description=text)
        if name == "serve":
            part.add_argument("--no-demo", action="store_true", help="do not start the demo shop ([demo] enabled)")
    demo = sub.add_parser(
        "demo",
        help="run the demo shop (simulated services sending telemetry) against a collector",
        description="Run a simulated shop (frontend, checkout, payments, inventory, email) that sends traces, "
        "logs and metrics through the OpenTelemetry SDK to the collector, until stopped. Everything it sends "
        "carries deployment.environment=demo. `otelhouse serve` starts it in development unless --no-demo.",
    )
    demo.add_argument("--endpoint", metavar="URL", help="collector OTLP/HTTP base URL (default: from [collector])")
    # set by `serve`: the demo stops once that process is gone, even if it died before the demo started
    demo.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)
    demo.add_argument(
        "--backfill",
        metavar="DURATION",
        help="instead, write DURATION of history (e.g. 7d, 12h) through the collector quickly, then exit",
    )
    sub.add_parser(
        "migrate",
        help="create or update the ClickHouse schema, then exit",
        description="Apply pending schema migrations (idempotent: a second run changes nothing) and make "
        "table TTLs match the configured days.",
    )
    retention_cli.add_commands(sub)
    auth_cli.add_commands(sub)
    config = sub.add_parser("config", help="inspect the configuration", description="Inspect the configuration.")
    config_sub = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    config_sub.add_parser(
        "show",
        help="print the effective configuration, secrets redacted, with the source of each value",
        description="Print the effective configuration as TOML; secrets are shown as ***; each line says "
        "where its value came from and which environment variable sets it.",
    )
    return parser


def _fail(message: str, code: int) -> int:
    print(f"otelhouse: {message}", file=sys.stderr)
    return code


def _startup_settings() -> Settings:
    settings = load_settings()
    problems = production_problems(settings)
    if problems:
        raise ConfigError("refusing to start in production:\n  " + "\n  ".join(problems))
    return settings


def _migrate(settings: Settings) -> None:
    from storage import Store

    store = Store.open(settings)
    try:
        print(f"migrating {store.target.describe()}, database {store.database}", file=sys.stderr)
        applied = store.migrate(progress=lambda name: print(f"  applied {name}", file=sys.stderr))
        print(f"schema current ({len(applied)} migrations applied now)", file=sys.stderr)
    finally:
        store.close()


def _demo(args: argparse.Namespace) -> int:
    from demo.command import collector_endpoint, run_backfill, run_live_demo
    from otelhouse.logs import configure_logging

    # not _startup_settings: the demo is a client and needs none of the server's secrets
    settings = load_settings()
    configure_logging(settings.log.level, settings.log.format, settings.secret_values())
    endpoint = args.endpoint or collector_endpoint(settings)
    if args.backfill:
        return run_backfill(settings, endpoint, args.backfill)
    return run_live_demo(settings, endpoint, args.parent_pid)


def quiet_grpc_core() -> None:
    """Keep grpc's C-core from writing its own plain-text lines (hpack errors about client bytes,
    presented credentials) to stderr; gRPC failures otelhouse cares about reach it as exceptions.

    Read by grpc when it is first imported, so this runs before anything imports it; an operator's
    own GRPC_VERBOSITY or GRPC_TRACE still wins.
    """
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")


def run(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    quiet_grpc_core()
    args = build_parser().parse_args(argv)
    tune_malloc()
    if args.config:
        os.environ["OTELHOUSE_CONFIG"] = args.config
    from collector.wal.log import WalUnavailable
    from otelhouse.logs import configure_logging
    from otelhouse.runtime import StartupError
    from storage import StoreError

    try:
        if args.command == "demo":
            return _demo(args)
        if args.command == "config":
            from otelhouse.config.show import render_settings
            from otelhouse.secrets import SecretFiles

            settings = load_settings()
            sys.stdout.write(render_settings(settings, SecretFiles(settings).describe()))
            return 0
        if args.command in auth_cli.COMMANDS:
            # an administrator's tool: it needs the users file, not the server's secrets
            return auth_cli.run(args, load_settings())
        settings = _startup_settings()
        log = settings.log
        configure_logging(
            log.level,
            log.format,
            settings.secret_values(),
            max_chars=log.max_message_chars,
            max_lines_per_s=log.max_lines_per_s,
        )
        if args.command == "migrate":
            _migrate(settings)
            return 0
        if args.command in retention_cli.COMMANDS:
            return retention_cli.run(args, settings)
        from otelhouse.runtime import PARTS, serve

        parts = PARTS if args.command == "serve" else (args.command,)
        asyncio.run(serve(settings, parts, no_demo=args.command != "serve" or args.no_demo))
        return 0
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}", 2)
    except (StoreError, WalUnavailable) as exc:
        return _fail(str(exc), 1)
    except StartupError as exc:
        return _fail(str(exc), 2)
    except OSError as exc:
        # e.g. a folder that cannot be created
        return _fail(f"cannot start: {exc}", 2)
    except KeyboardInterrupt:
        return 0


def main() -> None:
    sys.exit(run())
