"""SimQueue against a real RabbitMQ: the same scenario function runs on both backends.

Each scenario uses only the pika-shaped surface (channels, declare, bind, publish, consume,
get, ack, nack, reject, crash) and returns plain observations: who got which message, the
``redelivered`` flags, message counts, routing results, error codes and texts. Names the
broker invents (``amq.gen-...`` queues, consumer tags) are never compared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from simkafka.queue import (
    ChannelClosedByBroker,
    ChannelWrongStateError,
    SimQueue,
    UnroutableError,
)
from simkafka.real_queue import RealQueue

Obs = dict[str, Any]


def _recorder(seen: list, ack: bool = True) -> Callable[..., None]:
    def on_message(ch, method, properties, body) -> None:
        seen.append((body.decode(), method.redelivered))
        if ack:
            ch.basic_ack(method.delivery_tag)

    return on_message


def _count(ch, queue: str) -> int:
    return ch.queue_declare(queue, passive=True).method.message_count


# -- scenarios ------------------------------------------------------------------------------------
def fanout_copies(mq) -> Obs:
    ch = mq.channel()
    ch.exchange_declare("logs", exchange_type="fanout")
    for q in ("audit", "search", "mail", "unbound"):
        ch.queue_declare(q)
    for q in ("audit", "search", "mail"):
        ch.queue_bind(q, "logs", routing_key="ignored-by-fanout")
    for i in range(1, 5):
        ch.basic_publish("logs", f"key{i}", f"e{i}".encode())
    counts = {q: _count(ch, q) for q in ("audit", "search", "mail", "unbound")}
    bodies = {}
    for q in ("audit", "search", "mail"):
        got = []
        while True:
            method, _, body = ch.basic_get(q, auto_ack=True)
            if method is None:
                break
            got.append((body.decode(), method.exchange, method.routing_key, method.message_count))
        bodies[q] = got
    return {"counts": counts, "bodies": bodies}


def round_robin(mq) -> Obs:
    setup = mq.channel()
    setup.queue_declare("work")
    seen: dict[str, list] = {"a": [], "b": [], "c": []}
    for name in seen:
        mq.channel().basic_consume("work", _recorder(seen[name]))
    for i in range(1, 10):
        setup.basic_publish("", "work", f"m{i}".encode())
    ran = mq.process_data_events()
    return {"seen": seen, "ran": ran, "left": _count(setup, "work")}


def prefetch_limits(mq) -> Obs:
    setup = mq.channel()
    setup.queue_declare("work")
    seen: dict[str, list] = {"a": [], "b": []}
    a, b = mq.channel(), mq.channel()
    a.basic_qos(prefetch_count=1)
    a.basic_consume("work", _recorder(seen["a"], ack=False))
    b.basic_qos(prefetch_count=3)
    b.basic_consume("work", _recorder(seen["b"], ack=False))
    for i in range(1, 7):
        setup.basic_publish("", "work", f"m{i}".encode())
    mq.process_data_events()
    before = {k: list(v) for k, v in seen.items()}
    ready_before = _count(setup, "work")
    a.basic_ack(1)  # a has room again: the broker pushes it the head of the queue
    mq.process_data_events()
    return {
        "before": before,
        "ready_before": ready_before,
        "after": seen,
        "ready_after": _count(setup, "work"),
    }


def blocked_rejoins_at_the_back(mq) -> Obs:
    """A consumer without room leaves the turn order and rejoins at its end after an ack."""
    setup = mq.channel()
    setup.queue_declare("work")
    seen: dict[str, list] = {n: [] for n in "abc"}
    chans = {n: mq.channel() for n in seen}
    chans["a"].basic_qos(prefetch_count=1)
    for n, ch in chans.items():
        ch.basic_consume("work", _recorder(seen[n], ack=n != "a"))
    for i in range(1, 5):
        setup.basic_publish("", "work", f"m{i}".encode())
    mq.process_data_events()
    chans["a"].basic_ack(1)
    counts = [_count(setup, "work")]
    for i in range(5, 8):
        setup.basic_publish("", "work", f"m{i}".encode())
    mq.process_data_events()
    counts.append(_count(setup, "work"))
    return {"seen": seen, "counts": counts}


def get_ack_nack(mq) -> Obs:
    ch = mq.channel()
    ch.queue_declare("jobs")
    for i in range(1, 6):
        ch.basic_publish("", "jobs", f"m{i}".encode())
    log = []

    def get() -> int | None:
        method, _, body = ch.basic_get("jobs")
        if method is None:
            log.append(None)
            return None
        log.append((body.decode(), method.delivery_tag, method.redelivered, method.message_count))
        return method.delivery_tag

    t1, t2, t3 = get(), get(), get()
    ch.basic_nack(t2)  # back to its original position: before m4
    counts = [_count(ch, "jobs")]
    t4 = get()  # m2 again, redelivered
    ch.basic_ack(t3)  # m3 is gone for good
    ch.basic_nack(t1)  # m1 back at the head
    ch.basic_reject(t4, requeue=True)  # m2 back, before m4
    counts.append(_count(ch, "jobs"))
    t5 = get()
    ch.basic_nack(t5, requeue=False)  # m1 discarded
    counts.append(_count(ch, "jobs"))
    rest = [get() for _ in range(4)]
    ch.basic_ack(rest[-2], multiple=True)  # tags up to the last one delivered
    counts.append(_count(ch, "jobs"))
    return {"log": log, "counts": counts}


def crash_requeues(mq) -> Obs:
    setup = mq.channel()
    setup.queue_declare("work")
    seen: dict[str, list] = {"a": [], "b": []}
    a, b = mq.channel(), mq.channel()
    a.basic_consume("work", _recorder(seen["a"], ack=False))
    b.basic_consume("work", _recorder(seen["b"], ack=True))
    for i in range(1, 7):
        setup.basic_publish("", "work", f"m{i}".encode())
    mq.process_data_events()
    during = _count(setup, "work")
    a.crash()
    mq.process_data_events()
    return {
        "seen": seen,
        "ready_during": during,
        "ready_after": _count(setup, "work"),
        "a_open": a.is_open,
    }


def crash_with_prefetch_then_close(mq) -> Obs:
    """The crashed consumer's messages go back to the head of the queue, before newer ones."""
    setup = mq.channel()
    setup.queue_declare("work")
    seen: dict[str, list] = {"a": [], "b": []}
    a, b = mq.channel(), mq.channel()
    a.basic_qos(prefetch_count=2)
    a.basic_consume("work", _recorder(seen["a"], ack=False))
    for i in range(1, 7):
        setup.basic_publish("", "work", f"m{i}".encode())
    mq.process_data_events()
    counts = [_count(setup, "work")]
    a.crash()
    counts.append(_count(setup, "work"))
    b.basic_qos(prefetch_count=3)
    b.basic_consume("work", _recorder(seen["b"], ack=False))
    mq.process_data_events()
    counts.append(_count(setup, "work"))
    b.close()  # a clean close also requeues what was not acknowledged
    counts.append(_count(setup, "work"))
    order = []
    while (got := setup.basic_get("work", auto_ack=True))[0] is not None:
        order.append((got[2].decode(), got[0].redelivered))
    return {"seen": seen, "counts": counts, "order": order}


def stop_before_callbacks(mq, how: str) -> Obs:
    """Consumer a goes away before its callbacks ran: crash, close, or cancel its consumer."""
    setup = mq.channel()
    setup.queue_declare("work")
    seen: dict[str, list] = {"a": [], "b": []}
    a, b = mq.channel(), mq.channel()
    tag = a.basic_consume("work", _recorder(seen["a"]))
    b.basic_consume("work", _recorder(seen["b"]))
    for i in range(1, 5):
        setup.basic_publish("", "work", f"m{i}".encode())
    if how == "crash":
        a.crash()
    elif how == "close":
        a.close()
    else:
        a.basic_cancel(tag)
    mq.process_data_events()
    return {"seen": seen, "left": _count(setup, "work")}


def pubsub_exclusive(mq) -> Obs:
    """The publish/subscribe tutorial: each subscriber has its own server-named queue."""
    pub = mq.channel()
    pub.exchange_declare("news", exchange_type="fanout")
    seen: dict[str, list] = {"s1": [], "s2": []}
    names = []
    for sub in seen:
        ch = mq.channel()
        name = ch.queue_declare("", exclusive=True).method.queue
        names.append(name.startswith("amq.gen-") and len(name))
        ch.queue_bind(name, "news")
        ch.basic_consume(name, _recorder(seen[sub]), auto_ack=False)
    pub.basic_publish("news", "", b"n1")
    pub.basic_publish("news", "anything", b"n2")
    mq.process_data_events()
    return {"seen": seen, "names": names}


def nack_redelivers(mq, prefetch: int) -> Obs:
    setup = mq.channel()
    setup.queue_declare("retry")
    seen: list = []
    ch = mq.channel()
    ch.basic_qos(prefetch_count=prefetch)

    def on_message(ch, method, properties, body) -> None:
        seen.append((body.decode(), method.redelivered))
        if method.redelivered:
            ch.basic_ack(method.delivery_tag)
        else:
            ch.basic_nack(method.delivery_tag, requeue=True)

    ch.basic_consume("retry", on_message)
    for i in range(1, 4):
        setup.basic_publish("", "retry", f"m{i}".encode())
    mq.process_data_events()
    return {"seen": seen, "left": _count(setup, "retry")}


BINDING_KEYS = [
    "#",
    "*",
    "*.*",
    "a.#",
    "#.b",
    "a.#.b",
    "a.*.b",
    "a.#.#.b",
    "*.#",
    "#.*",
    "#.#",
    "a.*",
    "a.b",
    "",
    "*.orange.*",
    "*.*.rabbit",
    "lazy.#",
]
ROUTING_KEYS = [
    "",
    ".",
    "..",
    "a",
    "b",
    "a.b",
    "a.b.",
    ".a.b",
    "a..b",
    "a.x.b",
    "a.x.y.b",
    "a.b.c",
    "x.a.b",
    "quick.orange.rabbit",
    "lazy.orange.elephant",
    "quick.orange.fox",
    "lazy.brown.fox",
    "lazy.pink.rabbit",
    "quick.brown.fox",
    "quick.orange.male.rabbit",
    "lazy.orange.male.rabbit",
    "lazy",
]


def topic_routing(mq) -> Obs:
    ch = mq.channel()
    ch.exchange_declare("events", exchange_type="topic")
    queues = [f"binding{i}" for i in range(len(BINDING_KEYS))]
    for q, key in zip(queues, BINDING_KEYS, strict=True):
        ch.queue_declare(q)
        ch.queue_bind(q, "events", routing_key=key)
    for key in ROUTING_KEYS:
        ch.basic_publish("events", key, key.encode())
    table: dict[str, list[str]] = {key: [] for key in ROUTING_KEYS}
    for q, binding in zip(queues, BINDING_KEYS, strict=True):
        while (got := ch.basic_get(q, auto_ack=True))[0] is not None:
            table[got[0].routing_key].append(binding)
    return table


def errors(mq) -> Obs:
    obs: Obs = {}

    def attempt(label: str, *steps: Callable[[Any], Any]) -> None:
        ch = mq.channel()
        ch.queue_declare("exists")
        try:
            for step in steps:
                step(ch)
            obs[label] = "ok"
        except ChannelClosedByBroker as e:
            try:
                ch.queue_declare("exists", passive=True)
                after = "still open"
            except ChannelWrongStateError:
                after = "closed"
            obs[label] = (e.reply_code, e.reply_text, after)
        except UnroutableError as e:
            obs[label] = ("unroutable", len(e.messages))

    attempt("passive missing queue", lambda ch: ch.queue_declare("missing", passive=True))
    attempt("get missing queue", lambda ch: ch.basic_get("missing"))
    attempt("consume missing queue", lambda ch: ch.basic_consume("missing", lambda *a: None))
    attempt("purge missing queue", lambda ch: ch.queue_purge("missing"))
    attempt("publish missing exchange", lambda ch: ch.basic_publish("nowhere", "k", b"x"))
    attempt("bind missing exchange", lambda ch: ch.queue_bind("exists", "nowhere", "k"))
    attempt(
        "bind missing queue",
        lambda ch: (ch.exchange_declare("x1"), ch.queue_bind("missing", "x1", "k")),
    )
    attempt("bind default exchange", lambda ch: ch.queue_bind("exists", "", "k"))
    attempt("redeclare durable", lambda ch: ch.queue_declare("exists", durable=True))
    attempt(
        "redeclare exchange type",
        lambda ch: ch.exchange_declare("x2", exchange_type="fanout"),
        lambda ch: ch.exchange_declare("x2", exchange_type="topic"),
    )
    attempt("reserved prefix", lambda ch: ch.exchange_declare("amq.mine", exchange_type="direct"))
    attempt(
        "unknown delivery tag",  # the simulator raises on the ack; pika on the next call
        lambda ch: ch.basic_ack(99),
        lambda ch: ch.queue_declare("exists", passive=True),
    )
    attempt(
        "double ack",
        lambda ch: ch.basic_publish("", "exists", b"x"),
        lambda ch: ch.basic_ack(ch.basic_get("exists")[0].delivery_tag),
        lambda ch: ch.basic_ack(1),
        lambda ch: ch.queue_declare("exists", passive=True),
    )
    attempt("unroutable mandatory", lambda ch: ch.basic_publish("", "nobody", b"x", mandatory=True))
    attempt("unroutable dropped", lambda ch: ch.basic_publish("", "nobody", b"x"))
    attempt("delete missing queue", lambda ch: ch.queue_delete("missing"))
    attempt("get empty", lambda ch: ch.queue_purge("exists"), lambda ch: ch.basic_get("exists"))
    return obs


SCENARIOS: dict[str, Callable[[Any], Obs]] = {
    "fanout_copies": fanout_copies,
    "round_robin": round_robin,
    "prefetch_limits": prefetch_limits,
    "blocked_rejoins_at_the_back": blocked_rejoins_at_the_back,
    "get_ack_nack": get_ack_nack,
    "crash_requeues": crash_requeues,
    "crash_with_prefetch_then_close": crash_with_prefetch_then_close,
    "crash_before_callbacks": lambda mq: stop_before_callbacks(mq, "crash"),
    "close_before_callbacks": lambda mq: stop_before_callbacks(mq, "close"),
    "cancel_before_callbacks": lambda mq: stop_before_callbacks(mq, "cancel"),
    "pubsub_exclusive": pubsub_exclusive,
    "nack_redelivers_prefetch0": lambda mq: nack_redelivers(mq, 0),
    "nack_redelivers_prefetch1": lambda mq: nack_redelivers(mq, 1),
    "topic_routing": topic_routing,
    "errors": errors,
}


@pytest.fixture
def real_queue(rabbitmq_url: str) -> Iterator[RealQueue]:
    with RealQueue(rabbitmq_url) as mq:
        yield mq


@pytest.mark.rabbitmq
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_simulator_agrees_with_rabbitmq(name: str, real_queue: RealQueue) -> None:
    scenario = SCENARIOS[name]
    with SimQueue(seed=0) as sim:
        expected = scenario(sim)
    assert scenario(real_queue) == expected


@pytest.mark.rabbitmq
def test_real_queue_cleans_up_what_it_declared(rabbitmq_url: str) -> None:
    with RealQueue(rabbitmq_url) as mq:
        ch = mq.channel()
        ch.exchange_declare("logs", exchange_type="fanout")
        ch.queue_declare("kept")
        server_named = ch.queue_declare("", exclusive=True).method.queue
        assert server_named.startswith("amq.gen-")
        wire = mq.wire("kept")
        assert wire.startswith("simkafka-") and wire.endswith("-kept")
    import pika
    import pika.exceptions

    with pika.BlockingConnection(pika.URLParameters(rabbitmq_url)) as conn:
        for declare in (
            lambda ch: ch.queue_declare(wire, passive=True),  # the broker's names
            lambda ch: ch.queue_declare(server_named, passive=True),
            lambda ch: ch.exchange_declare(mq.wire("logs"), passive=True),
        ):
            with pytest.raises(pika.exceptions.ChannelClosedByBroker) as missing:
                declare(conn.channel())
            assert missing.value.reply_code == 404


def test_missing_broker_is_one_line_within_five_seconds() -> None:
    import time

    from simkafka.queue import AMQPConnectionError

    start = time.monotonic()
    with pytest.raises(AMQPConnectionError) as unreachable:
        RealQueue("amqp://guest:guest@127.0.0.1:1/%2F")
    assert time.monotonic() - start < 5
    assert str(unreachable.value) == (
        "RabbitMQ is not reachable at 127.0.0.1:1 - start it with `make brokers-up` "
        "(or `docker compose up -d`)"
    )
