"""``make bench-brokers``: the article's two claims, measured on the real Kafka and RabbitMQ.

    .venv/bin/python benchmarks/brokers.py            # the full run (about 3 minutes)
    .venv/bin/python benchmarks/brokers.py --quick    # small sizes, to try it out
    .venv/bin/python benchmarks/brokers.py --out /tmp/claims.json

1. Throughput against what is stored: Kafka with 0, 1.5 and 5 million records in the topic's
   log, a RabbitMQ queue with 0, 100,000 and 1 million messages waiting (batches of 500,000
   and 50,000 records of 100 bytes, three runs each; the median is plotted).
2. Bytes kept for N readers, N = 1..8: one Kafka topic read by N groups, against RabbitMQ's
   fanout to N queues (2,000 messages of 1,000 bytes), from the brokers' own figures.

The results, with the machine and the versions, go to src/simkafka/data/broker-claims.json
(unless ``--out``), which notebooks 06 and 07 plot. Needs both brokers
(``python -m simkafka.brokers up``); every topic and queue it makes is deleted at the end.
Not part of ``make test``: it loads millions of records.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from simkafka import claims
from simkafka.brokers import kafka_available, kafka_bootstrap, rabbitmq_available, rabbitmq_url

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "src" / "simkafka" / claims.RESULTS_FILE

FULL = {
    "kafka_stored": (0, 1_500_000, 5_000_000),  # the runs at 0 leave 1.5 million
    "kafka_batch": 500_000,
    "rabbitmq_depths": (0, 100_000, 1_000_000),
    "rabbitmq_batch": 50_000,
    "repeats": 3,
    "readers": tuple(range(1, 9)),
    "reader_records": 2000,
    "reader_size": 1000,
}
QUICK = {
    **FULL,
    "kafka_stored": (0, 100_000),
    "kafka_batch": 50_000,
    "rabbitmq_depths": (0, 10_000),
    "rabbitmq_batch": 5000,
    "repeats": 1,
    "readers": (1, 2, 3),
    "reader_records": 200,
}


def _records(frame) -> list[dict]:
    return json.loads(frame.to_json(orient="records"))


def _step(name: str, run):
    started = time.perf_counter()
    print(f"{name} ...", flush=True)
    frame = run()
    print(frame.to_string(index=False))
    print(f"({time.perf_counter() - started:.0f} s)\n", flush=True)
    return _records(frame)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, to try it out")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to save the JSON")
    args = parser.parse_args(argv)
    if not (kafka_available() and rabbitmq_available()):
        print(
            "bench-brokers needs Kafka and RabbitMQ: start them with "
            "`python -m simkafka.brokers up` (make brokers-up)"
        )
        return 2
    plan = QUICK if args.quick else FULL
    bootstrap, url = kafka_bootstrap(), rabbitmq_url()
    started = time.perf_counter()
    results = {
        "machine": claims.machine(url),
        "command": "make bench-brokers" if not args.quick else "benchmarks/brokers.py --quick",
        "plan": {k: list(v) if isinstance(v, tuple) else v for k, v in plan.items()},
    }
    results["kafka_throughput"] = _step(
        "Kafka: produce and consume as the log grows",
        lambda: claims.kafka_throughput(
            bootstrap, plan["kafka_stored"], plan["kafka_batch"], repeats=plan["repeats"]
        ),
    )
    results["rabbitmq_throughput"] = _step(
        "RabbitMQ: publish and consume as the queue grows",
        lambda: claims.rabbitmq_throughput(
            url, plan["rabbitmq_depths"], plan["rabbitmq_batch"], repeats=plan["repeats"]
        ),
    )
    sizes = {"records": plan["reader_records"], "size": plan["reader_size"]}
    results["kafka_bytes_per_reader"] = _step(
        "Kafka: bytes kept for one topic read by N groups",
        lambda: claims.kafka_bytes_per_reader(bootstrap, plan["readers"], **sizes),
    )
    results["rabbitmq_bytes_per_reader"] = _step(
        "RabbitMQ: bytes kept for a fanout to N queues",
        lambda: claims.rabbitmq_bytes_per_reader(url, plan["readers"], **sizes),
    )
    results["seconds"] = round(time.perf_counter() - started)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"saved {args.out} ({results['seconds']} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
