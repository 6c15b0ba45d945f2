"""The transactional outbox: the auth service's account changes and its events, in one commit.

A service that updates its database and then sends an event can crash between the two: the
change is saved and the event lost, or the event sent and the change rolled back. The
*outbox* pattern writes the event into a table of the same database, in the same transaction
as the change (here SQLite, the standard library's ``sqlite3``); a publisher later reads the
outbox in order and sends each row to Kafka.

Kafka keeps order per partition, so per key; the outbox keeps the order of the commits. What
can break it is the publisher: several workers draining the outbox concurrently
(:func:`concurrent_schedule`) send one account's events in the order they happen to finish,
not the order they were written. Workers that each own a set of keys and send them in outbox
order (:func:`per_key_schedule`) keep it. :func:`outbox_ordering` runs either on the
simulator (the workers' interleaving is a seeded random choice: the same on every run) or on
a real Kafka, replaying that interleaving with one thread per worker (``mode="seeded"``) or
letting the threads race (``mode="free"``), and reports what a consumer of the topic sees with
:func:`simkafka.checkers.check_delivery`.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .partitioners import partition_for_key

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "PUBLISHERS",
    "Outbox",
    "OutboxRow",
    "SimulatedCrash",
    "auth_service_changes",
    "concurrent_schedule",
    "outbox_ordering",
    "per_key_schedule",
]

#: The publishers :func:`outbox_ordering` knows.
PUBLISHERS = ("concurrent", "per-key")

#: How the publisher's workers run on a real Kafka.
MODES = ("seeded", "free")

#: The account's state after each event of the running example.
STATUS_AFTER = {"created": "active", "deleted": "deleted"}

#: The events each account lives through (``simkafka.experiments.ACCOUNT_EVENTS``).
EVENTS = ("created", "email-verified", "renamed", "joined-group", "deleted")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    account_id TEXT PRIMARY KEY,
    status     TEXT NOT NULL,
    version    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT NOT NULL,
    event      TEXT NOT NULL,
    payload    TEXT NOT NULL,
    claimed_by INTEGER,
    published  INTEGER NOT NULL DEFAULT 0
);
"""


class SimulatedCrash(RuntimeError):
    """The service died inside the transaction (raised on purpose, to show the rollback)."""


@dataclass(frozen=True)
class OutboxRow:
    """One outbox row: its id (the commit order), the key and the event to publish."""

    id: int
    account_id: str
    payload: str


class Outbox:
    """The auth service's SQLite database: an ``accounts`` table and an ``outbox`` table.

    ``change`` updates an account and appends its event to the outbox in one transaction:
    both are saved, or (if the service crashes before the commit) neither is.

    >>> db = Outbox()
    >>> db.change("acct-1", "created")
    1
    >>> db.change("acct-1", "renamed", crash_before_commit=True)
    Traceback (most recent call last):
    ...
    simkafka.outbox.SimulatedCrash: the auth service crashed before committing acct-1 renamed
    >>> db.counts()
    {'accounts': 1, 'outbox': 1, 'version': {'acct-1': 1}}
    """

    def __init__(self, path: str = ":memory:") -> None:
        # one connection shared by the publisher's threads, used under a lock: SQLite runs
        # one write transaction at a time anyway
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._lock = threading.Lock()
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def change(self, account_id: str, event: str, *, crash_before_commit: bool = False) -> int:
        """Apply ``event`` to the account and write it to the outbox, in one transaction.

        Returns the outbox row's id. The payload is JSON with the account's new ``version``,
        so every event is unique: ``{"account_id": ..., "event": ..., "version": ...}``.
        """
        with self._lock, self._db:
            found = self._db.execute(
                "SELECT status, version FROM accounts WHERE account_id = ?", (account_id,)
            ).fetchone()
            status, version = found if found else ("new", 0)
            version += 1
            status = STATUS_AFTER.get(event, status)
            self._db.execute(
                "INSERT INTO accounts (account_id, status, version) VALUES (?, ?, ?) "
                "ON CONFLICT (account_id) DO UPDATE SET status = excluded.status, "
                "version = excluded.version",
                (account_id, status, version),
            )
            payload = json.dumps(
                {"account_id": account_id, "event": event, "version": version},
                separators=(",", ":"),
            )
            cursor = self._db.execute(
                "INSERT INTO outbox (account_id, event, payload) VALUES (?, ?, ?)",
                (account_id, event, payload),
            )
            if crash_before_commit:
                raise SimulatedCrash(
                    f"the auth service crashed before committing {account_id} {event}"
                )
            return int(cursor.lastrowid)

    def counts(self) -> dict[str, Any]:
        """Rows in each table, and each account's version."""
        with self._lock:
            accounts = self._db.execute("SELECT COUNT(*) FROM accounts").fetchone()[0]
            outbox = self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
            versions = dict(
                self._db.execute("SELECT account_id, version FROM accounts ORDER BY account_id")
            )
        return {"accounts": accounts, "outbox": outbox, "version": versions}

    def pending(self) -> list[OutboxRow]:
        """The rows not yet published, in commit order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, account_id, payload FROM outbox WHERE published = 0 ORDER BY id"
            ).fetchall()
        return [OutboxRow(*row) for row in rows]

    def claim(
        self, worker: int, limit: int, owns: Callable[[str], bool] | None = None
    ) -> list[OutboxRow]:
        """Mark the next ``limit`` unclaimed rows (of the keys ``owns`` accepts) as ``worker``'s."""
        with self._lock, self._db:
            rows = [
                OutboxRow(*row)
                for row in self._db.execute(
                    "SELECT id, account_id, payload FROM outbox "
                    "WHERE claimed_by IS NULL ORDER BY id"
                )
                if owns is None or owns(row[1])
            ][:limit]
            self._db.executemany(
                "UPDATE outbox SET claimed_by = ? WHERE id = ?", [(worker, r.id) for r in rows]
            )
        return rows

    def mark_published(self, row_id: int) -> None:
        """The broker acknowledged this row's event."""
        with self._lock, self._db:
            self._db.execute("UPDATE outbox SET published = 1 WHERE id = ?", (row_id,))

    def rows(self) -> pd.DataFrame:
        """The outbox as a table: ``id, account_id, event, payload, claimed_by, published``."""
        import pandas as pd

        with self._lock:
            found = self._db.execute(
                "SELECT id, account_id, event, payload, claimed_by, published FROM outbox "
                "ORDER BY id"
            ).fetchall()
        frame = pd.DataFrame(
            found, columns=["id", "account_id", "event", "payload", "claimed_by", "published"]
        )
        frame["claimed_by"] = frame["claimed_by"].astype("Int64")
        frame["published"] = frame["published"].astype(bool)
        return frame


def auth_service_changes(outbox: Outbox, accounts: int = 6, seed: int = 0) -> int:
    """The auth service lives through :data:`EVENTS` for ``accounts`` accounts, interleaved.

    Which account changes next is a seeded random choice, so accounts' events mix in the
    outbox as they would in a running service. Returns the number of rows written.

    >>> db = Outbox()
    >>> auth_service_changes(db, accounts=2, seed=0)
    10
    >>> db.rows()["account_id"].tolist()[:4]
    ['acct-1', 'acct-1', 'acct-0', 'acct-1']
    """
    rng = random.Random(seed)
    left = {f"acct-{i}": list(EVENTS) for i in range(accounts)}
    written = 0
    while left:
        account = rng.choice(sorted(left))
        outbox.change(account, left[account].pop(0))
        written += 1
        if not left[account]:
            del left[account]
    return written


# -- publishers ----------------------------------------------------------------------------------
#: A publisher's plan: ``(worker, row)`` in the order the rows reach the broker.
Schedule = list[tuple[int, OutboxRow]]


def concurrent_schedule(
    rows: list[OutboxRow], workers: int = 3, batch: int = 2, seed: int = 0
) -> Schedule:
    """Workers that each claim the next ``batch`` rows and send them, with no per-key rule.

    At each step a seeded random worker moves: it claims a batch if it has none, else sends
    its batch's next row. A worker is never told that another holds an earlier row of the
    same account, so the sends of one account can cross.

    >>> rows = [OutboxRow(i, "acct-1", f"e{i}") for i in (1, 2, 3)]
    >>> [(w, r.id) for w, r in concurrent_schedule(rows, workers=2, batch=1, seed=0)]
    [(1, 1), (1, 3), (0, 2)]

    Worker 1 sent row 3 before worker 0 sent row 2: the account's events cross.
    """
    _require_positive(workers=workers, batch=batch)
    rng = random.Random(seed)
    unclaimed = list(rows)
    held: dict[int, list[OutboxRow]] = {w: [] for w in range(workers)}
    schedule: Schedule = []
    while unclaimed or any(held.values()):
        moving = [w for w in range(workers) if held[w] or unclaimed]
        worker = rng.choice(moving)
        if held[worker]:
            schedule.append((worker, held[worker].pop(0)))
        else:
            held[worker], unclaimed = unclaimed[:batch], unclaimed[batch:]
    return schedule


def key_owner(account_id: str, workers: int) -> int:
    """The worker that owns a key: murmur2 of the key, as Kafka's partitioner, mod workers."""
    return partition_for_key(account_id.encode(), workers)


def per_key_schedule(rows: list[OutboxRow], workers: int = 3, seed: int = 0) -> Schedule:
    """Workers that each own the keys hashing to them and send those rows in outbox order.

    Which worker sends next is a seeded random choice, as in :func:`concurrent_schedule`;
    one account's rows all go through one worker, in commit order.

    >>> rows = [OutboxRow(i, f"acct-{i % 3}", f"e{i}") for i in range(1, 7)]
    >>> [(w, r.account_id, r.id) for w, r in per_key_schedule(rows, workers=3, seed=1)]
    [(0, 'acct-0', 3), (0, 'acct-0', 6), (2, 'acct-1', 1), (2, 'acct-2', 2), (2, 'acct-1', 4), (2, 'acct-2', 5)]
    """
    _require_positive(workers=workers)
    rng = random.Random(seed)
    queues: dict[int, list[OutboxRow]] = {w: [] for w in range(workers)}
    for row in rows:
        queues[key_owner(row.account_id, workers)].append(row)
    schedule: Schedule = []
    while any(queues.values()):
        worker = rng.choice([w for w in range(workers) if queues[w]])
        schedule.append((worker, queues[worker].pop(0)))
    return schedule


def _require_positive(**counts: int) -> None:
    for name, value in counts.items():
        if type(value) is not int or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")


def _replay(schedule: Schedule, send: Callable[[OutboxRow], None], threads: bool) -> None:
    """Send in ``schedule`` order; with ``threads``, each worker in its own thread, by turns."""
    if not threads:
        for _, row in schedule:
            send(row)
        return
    turn = threading.Condition()
    state = {"next": 0, "error": None}

    def work(worker: int) -> None:
        mine = [i for i, (w, _) in enumerate(schedule) if w == worker]
        for i in mine:
            with turn:
                turn.wait_for(lambda i=i: state["next"] == i or state["error"] is not None)
                if state["error"] is not None:
                    return
            try:
                send(schedule[i][1])
            except Exception as exc:  # handed to the caller below
                state["error"] = exc
            with turn:
                state["next"] = i + 1
                turn.notify_all()

    _run_threads(work, sorted({w for w, _ in schedule}))
    if state["error"] is not None:
        raise state["error"]


def _run_threads(work: Callable[[int], None], workers: list[int]) -> None:
    pool = [threading.Thread(target=work, args=(w,), daemon=True) for w in workers]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=120)
    if any(t.is_alive() for t in pool):
        raise TimeoutError("an outbox publisher thread did not finish within 120 s")


def _free_threads(
    outbox: Outbox, send: Callable[[OutboxRow], None], publisher: str, workers: int, batch: int
) -> None:
    """Real threads that claim from the outbox and send as fast as they can."""
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        owns = None
        if publisher == "per-key":
            owns = lambda key: key_owner(key, workers) == worker  # noqa: E731
        try:
            while rows := outbox.claim(worker, batch, owns):
                for row in rows:
                    send(row)
        except Exception as exc:  # handed to the caller below
            errors.append(exc)

    _run_threads(work, list(range(workers)))
    if errors:
        raise errors[0]


def outbox_ordering(
    backend: Any,
    publisher: str = "concurrent",
    *,
    workers: int = 3,
    batch: int = 2,
    accounts: int = 6,
    partitions: int = 3,
    seed: int = 0,
    mode: str = "seeded",
) -> pd.DataFrame:
    """Write the auth service's changes to an outbox, publish it, and check per-key order.

    ``publisher`` is ``"concurrent"`` (:func:`concurrent_schedule`) or ``"per-key"``
    (:func:`per_key_schedule`). On the simulator the workers' interleaving is seeded; on a
    real Kafka, ``mode="seeded"`` replays the same interleaving with one thread per worker
    (each waits for its turn), and ``mode="free"`` lets the threads claim and send freely.
    Each send waits for the broker's acknowledgement before the row is marked published.

    Returns the :func:`simkafka.checkers.check_delivery` table of the outbox (in commit
    order) against the topic's records (partition by partition, as a consumer reads them);
    ``attrs["summary"]`` has the counts, ``attrs["log"]`` the topic's records
    (``partition, offset, key, value``).

    >>> report = outbox_ordering("sim", "concurrent", seed=0)
    >>> report.attrs["summary"]
    {'publisher': 'concurrent', 'mode': 'seeded', 'sent': 30, 'lost': 0, 'order_per_key': 3}
    >>> outbox_ordering("sim", "per-key", seed=0).attrs["summary"]["order_per_key"]
    0
    """
    import pandas as pd

    from .checkers import anomalies, check_delivery
    from .experiments import _new_topic, open_backend

    if publisher not in PUBLISHERS:
        raise ValueError(f"publisher must be one of {PUBLISHERS}, got {publisher!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    _require_positive(workers=workers, batch=batch, accounts=accounts, partitions=partitions)
    with closing(Outbox()) as outbox, open_backend(backend, seed=seed) as cluster:
        on_sim = type(cluster).__name__ == "SimCluster"
        if mode == "free" and on_sim:
            raise ValueError(
                "mode='free' races real threads and needs a real Kafka (backend='kafka'); "
                "on the simulator the workers' interleaving is the seeded one"
            )
        auth_service_changes(outbox, accounts=accounts, seed=seed)
        produced = outbox.rows()
        topic = _new_topic(cluster, "account-events-outbox", partitions)
        # one request in flight: a retried send can never overtake the next one
        producer = cluster.producer(
            key_serializer=str.encode,
            value_serializer=str.encode,
            max_in_flight_requests_per_connection=1,
        )

        def send(row: OutboxRow) -> None:
            producer.send(topic, key=row.account_id, value=row.payload).get(timeout=30)
            outbox.mark_published(row.id)

        if mode == "free":
            _free_threads(outbox, send, publisher, workers, batch)
        else:
            rows = outbox.pending()
            schedule = (
                concurrent_schedule(rows, workers, batch, seed)
                if publisher == "concurrent"
                else per_key_schedule(rows, workers, seed)
            )
            _replay(schedule, send, threads=not on_sim)
        producer.close()
        records = cluster.records(topic).sort_values(["partition", "offset"])
        log = pd.DataFrame(
            {
                "partition": records["partition"].astype(int).tolist(),
                "offset": records["offset"].astype(int).tolist(),
                "key": [k.decode() for k in records["key"]],
                "value": [v.decode() for v in records["value"]],
            }
        )
    sent = pd.DataFrame(
        {"seq": produced["id"], "key": produced["account_id"], "value": produced["payload"]}
    )
    report = check_delivery(sent, log[["key", "value"]])
    found = anomalies(report)
    report.attrs["summary"] = {
        "publisher": publisher,
        "mode": mode,
        "sent": len(sent),
        "lost": found.get("lost", 0),
        "order_per_key": found.get("order_per_key", 0),
    }
    report.attrs["check"] = found
    report.attrs["log"] = log
    return report


def outbox_runs(
    backend: Any, seeds: Iterator[int] | range = range(5), mode: str = "seeded", **options: Any
) -> pd.DataFrame:
    """Both publishers for each seed: ``seed, publisher, mode, sent, lost, order_per_key``."""
    import pandas as pd

    rows = [
        {
            "seed": seed,
            **outbox_ordering(backend, p, seed=seed, mode=mode, **options).attrs["summary"],
        }
        for seed in seeds
        for p in PUBLISHERS
    ]
    return pd.DataFrame(rows)
