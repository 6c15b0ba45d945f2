"""The transactional outbox: one commit for the change and its event; publishing and order.

What the capstone's outbox section shows: a crash inside the transaction leaves neither the
change nor its event; a concurrent publisher breaks per-key order (the delivery checker
says where); a publisher that keeps each key on one worker does not; the real Kafka, given
the simulator's interleaving, keeps the very same log.
"""

from __future__ import annotations

import pytest

from simkafka.outbox import (
    EVENTS,
    Outbox,
    OutboxRow,
    SimulatedCrash,
    auth_service_changes,
    concurrent_schedule,
    outbox_ordering,
    outbox_runs,
    per_key_schedule,
)


def test_a_crash_before_commit_keeps_neither_the_change_nor_its_event(tmp_path) -> None:
    path = str(tmp_path / "auth.db")
    with Outbox(path) as db:
        db.change("acct-1", "created")
        with pytest.raises(SimulatedCrash):
            db.change("acct-1", "renamed", crash_before_commit=True)
    with Outbox(path) as reopened:  # what is on disk after the crash
        assert reopened.counts() == {"accounts": 1, "outbox": 1, "version": {"acct-1": 1}}
        assert reopened.rows()["event"].tolist() == ["created"]


def test_outbox_keeps_commit_order_and_each_account_lives_its_events_in_order() -> None:
    with Outbox() as db:
        assert auth_service_changes(db, accounts=4, seed=3) == 4 * len(EVENTS)
        rows = db.rows()
        assert rows["id"].is_monotonic_increasing
        for _, events in rows.groupby("account_id")["event"]:
            assert tuple(events) == EVENTS


def _rows(accounts: int = 6, seed: int = 0) -> list[OutboxRow]:
    with Outbox() as db:
        auth_service_changes(db, accounts=accounts, seed=seed)
        return db.pending()


@pytest.mark.parametrize("seed", range(5))
def test_both_schedules_send_every_row_once(seed: int) -> None:
    rows = _rows(seed=seed)
    for schedule in (concurrent_schedule(rows, 3, 2, seed), per_key_schedule(rows, 3, seed)):
        assert sorted(r.id for _, r in schedule) == [r.id for r in rows]


def test_per_key_schedule_sends_each_account_in_commit_order_from_one_worker() -> None:
    rows = _rows(seed=1)
    by_key: dict[str, list[tuple[int, int]]] = {}
    for worker, row in per_key_schedule(rows, workers=3, seed=1):
        by_key.setdefault(row.account_id, []).append((worker, row.id))
    for sends in by_key.values():
        assert len({w for w, _ in sends}) == 1
        assert [i for _, i in sends] == sorted(i for _, i in sends)


def test_concurrent_publisher_breaks_per_key_order_and_per_key_keeps_it() -> None:
    runs = outbox_runs("sim", range(5))
    concurrent = runs[runs["publisher"] == "concurrent"]
    per_key = runs[runs["publisher"] == "per-key"]
    assert (concurrent["order_per_key"] > 0).all()
    assert (per_key["order_per_key"] == 0).all()
    assert (runs["lost"] == 0).all() and (runs["sent"] == 30).all()


def test_checker_names_the_crossed_events() -> None:
    report = outbox_ordering("sim", "concurrent", seed=0).set_index("check")
    key, earlier, later = report.loc["order_per_key", "examples"][0]
    assert key.startswith("acct-") and earlier[0] == later[0] == key
    assert report.loc["duplicated", "count"] == 0


def test_free_threads_need_a_real_broker() -> None:
    with pytest.raises(ValueError, match="needs a real Kafka"):
        outbox_ordering("sim", mode="free")


@pytest.mark.kafka
def test_real_kafka_replays_the_simulators_interleaving_to_the_same_log(kafka_bootstrap) -> None:
    for publisher in ("concurrent", "per-key"):
        on_sim = outbox_ordering("sim", publisher, seed=1)
        on_kafka = outbox_ordering("kafka", publisher, seed=1)
        assert on_kafka.attrs["log"].equals(on_sim.attrs["log"])
        assert on_kafka.attrs["summary"] == on_sim.attrs["summary"]


@pytest.mark.kafka
def test_free_threads_on_real_kafka_lose_nothing_and_per_key_keeps_order(kafka_bootstrap) -> None:
    free = outbox_ordering("kafka", "per-key", mode="free", seed=2).attrs["summary"]
    assert free == {
        "publisher": "per-key",
        "mode": "free",
        "sent": 30,
        "lost": 0,
        "order_per_key": 0,
    }
    racing = outbox_ordering("kafka", "concurrent", mode="free", seed=2).attrs["check"]
    assert set(racing) <= {"order_per_key"}  # never lost, duplicated or unexpected
