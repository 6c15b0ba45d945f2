"""``python -m simkafka.brokers up|down|status|run -- CMD...``: real brokers on 127.0.0.1.

- ``up [kafka|rabbitmq|kafka-cluster]``: start each broker unless it runs; exit 1 if one could
  not start. ``kafka-cluster`` (three KRaft nodes, for the replication notebook) starts only
  when named.
- ``stop-node N [--kill]`` / ``start-node N``: stop (SIGTERM, or SIGKILL with ``--kill``) or
  start one node of ``kafka-cluster``; ``pause-node N`` / ``resume-node N`` freeze and thaw it
  (SIGSTOP / SIGCONT). Its three voters keep a quorum with one node down, not with two.
- ``down [kafka|rabbitmq]``: stop only what this launcher started (its pid file).
- ``status [kafka|rabbitmq]``: one line per broker.
- ``run [--with kafka-cluster] -- CMD...``: start the brokers that do not run (and the named
  optional ones), run CMD, stop the brokers this call started, exit with CMD's exit code. A broker that cannot start is reported in one line and
  CMD still runs (its broker tests skip), unless SIMKAFKA_REQUIRE_BROKERS=1: then the launcher
  exits 1 before running CMD.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from types import ModuleType

from simkafka.brokers import brokers_required, kafka, kafka_cluster, rabbitmq
from simkafka.brokers.common import BrokerError

#: What ``up``, ``down``, ``status`` and ``run`` handle when no broker is named.
BROKERS: dict[str, ModuleType] = {"kafka": kafka, "rabbitmq": rabbitmq}
#: Started only when named (``up kafka-cluster``, ``run --with kafka-cluster``).
OPTIONAL: dict[str, ModuleType] = {"kafka-cluster": kafka_cluster}
KNOWN: dict[str, ModuleType] = {**BROKERS, **OPTIONAL}


def _each(names: Sequence[str], action: Callable[[ModuleType], str]) -> int:
    failed = False
    for name in names or BROKERS:
        try:
            print(action(KNOWN[name]), flush=True)
        except BrokerError as error:
            print(error, file=sys.stderr, flush=True)
            failed = True
    return 1 if failed else 0


def _call(command: Sequence[str]) -> int:
    """Run ``command``: Ctrl-C reaches it alone, SIGTERM is passed on; 128+N after signal N."""
    try:
        process = subprocess.Popen(list(command))
    except FileNotFoundError:
        print(f"run: command not found: {command[0]}", file=sys.stderr)
        return 127

    def pass_on(signum: int, _frame: object) -> None:
        process.send_signal(signum)

    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN),
        signal.SIGTERM: signal.signal(signal.SIGTERM, pass_on),
    }
    try:
        code = process.wait()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return 128 - code if code < 0 else code


def run(command: Sequence[str], also: Sequence[str] = ()) -> int:
    """Start missing brokers (and ``also``), run ``command``, stop what this call started."""
    started: list[ModuleType] = []
    try:
        for broker in [*BROKERS.values(), *(OPTIONAL[name] for name in also)]:
            try:
                result = broker.up()
            except BrokerError as error:
                print(error, file=sys.stderr, flush=True)
                if brokers_required():
                    print(
                        "run: SIMKAFKA_REQUIRE_BROKERS is set, so not running the command",
                        file=sys.stderr,
                    )
                    return 1
                continue
            print(result.message, flush=True)
            if result.started:
                started.append(broker)
        return _call(command)
    finally:
        for broker in reversed(started):
            try:
                print(broker.down(), flush=True)
            except BrokerError as error:
                print(error, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m simkafka.brokers",
        description="Real Kafka and RabbitMQ brokers on 127.0.0.1, started without Docker.",
    )
    commands = parser.add_subparsers(dest="action", required=True)
    for action, text in (
        ("up", "start the brokers that do not run"),
        ("down", "stop the brokers this launcher started"),
        ("status", "one line per broker"),
    ):
        sub = commands.add_parser(action, help=text)
        sub.add_argument(
            "names",
            nargs="*",
            metavar="broker",
            help="kafka, rabbitmq or kafka-cluster (default: kafka and rabbitmq)",
        )
    for action, text in (
        ("stop-node", "stop one node of kafka-cluster (SIGTERM: a controlled shutdown)"),
        ("start-node", "start one node of kafka-cluster again"),
        ("pause-node", "freeze one node of kafka-cluster (SIGSTOP)"),
        ("resume-node", "thaw a paused node of kafka-cluster (SIGCONT)"),
    ):
        sub = commands.add_parser(action, help=text)
        sub.add_argument("node", type=int, help="1, 2 or 3")
        if action == "stop-node":
            sub.add_argument("--kill", action="store_true", help="SIGKILL: a crash")
    sub = commands.add_parser("run", help="start brokers, run CMD, stop what was started")
    sub.add_argument(
        "--with",
        dest="also",
        action="append",
        default=[],
        choices=sorted(OPTIONAL),
        help="also start this optional broker",
    )
    sub.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD [ARG...]")
    args = parser.parse_args(argv)
    if unknown := [name for name in getattr(args, "names", []) if name not in KNOWN]:
        parser.error(f"unknown broker {unknown[0]!r}: choose from {', '.join(KNOWN)}")
    if args.action == "run":
        command = args.command[1:] if args.command[:1] == ["--"] else args.command
        if not command:
            parser.error("run needs a command: python -m simkafka.brokers run -- CMD [ARG...]")
        return run(command, args.also)
    if args.action.endswith("-node"):
        try:
            if args.action == "stop-node":
                print(kafka_cluster.stop_node(args.node, kill=args.kill), flush=True)
            elif args.action == "start-node":
                print(kafka_cluster.start_node(args.node), flush=True)
            else:
                resume = args.action == "resume-node"
                print(kafka_cluster.pause_node(args.node, resume=resume), flush=True)
        except BrokerError as error:
            print(error, file=sys.stderr, flush=True)
            return 1
        return 0
    if args.action == "up":
        return _each(args.names, lambda broker: broker.up().message)
    if args.action == "down":
        return _each(args.names, lambda broker: broker.down())
    return _each(args.names, lambda broker: broker.status())


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
