"""SimQueue on its own: RabbitMQ's queue semantics, deterministic, no broker needed."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from simkafka.queue import (
    QUEUE_EVENT_COLUMNS,
    BasicProperties,
    ChannelClosedByBroker,
    ChannelWrongStateError,
    ConnectionClosedByBroker,
    ConnectionWrongStateError,
    SimQueue,
    UnroutableError,
    split_topic_key,
    topic_matches,
)


def recorder(seen: list, ack: bool = True) -> Callable[..., None]:
    def on_message(ch, method, properties, body) -> None:
        seen.append(body.decode())
        if ack:
            ch.basic_ack(method.delivery_tag)

    return on_message


def ready(ch, queue: str) -> int:
    return ch.queue_declare(queue, passive=True).method.message_count


def publish(ch, queue: str, n: int, start: int = 1) -> None:
    for i in range(start, start + n):
        ch.basic_publish("", queue, f"m{i}".encode())


@pytest.fixture
def mq() -> SimQueue:
    return SimQueue(seed=0)


# -- routing ---------------------------------------------------------------------------------------
def test_fanout_gives_every_bound_queue_its_own_copy(mq: SimQueue) -> None:
    ch = mq.channel()
    ch.exchange_declare("logs", exchange_type="fanout")
    for q in ("audit", "search"):
        ch.queue_declare(q)
        ch.queue_bind(q, "logs")
    ch.basic_publish("logs", "whatever", b"e1")
    assert (ready(ch, "audit"), ready(ch, "search")) == (1, 1)
    method, _, body = ch.basic_get("audit")
    ch.basic_ack(method.delivery_tag)
    assert (ready(ch, "audit"), ready(ch, "search")) == (0, 1)  # the other copy is untouched
    assert ch.basic_get("search")[2] == b"e1"
    routes = mq.events("route")
    assert routes["queue"].tolist() == ["audit", "search"]
    assert routes["message"].tolist() == [1, 1]  # one publish, two copies


def test_direct_exchange_routes_by_exact_key_and_once_per_queue(mq: SimQueue) -> None:
    ch = mq.channel()
    ch.exchange_declare("direct_logs")
    ch.queue_declare("errors")
    ch.queue_bind("errors", "direct_logs", routing_key="error")
    ch.queue_bind("errors", "direct_logs", routing_key="error")  # idempotent
    ch.queue_declare("all")
    for key in ("info", "warning", "error"):
        ch.queue_bind("all", "direct_logs", routing_key=key)
    for key in ("info", "error", "debug"):
        ch.basic_publish("direct_logs", key, key.encode())
    assert (ready(ch, "errors"), ready(ch, "all")) == (1, 2)
    assert mq.events("unroutable")["routing_key"].tolist() == ["debug"]
    assert len(mq.bindings().query("exchange == 'direct_logs'")) == 4


def test_default_exchange_routes_to_the_queue_named_by_the_key(mq: SimQueue) -> None:
    ch = mq.channel()
    ch.queue_declare("hello")
    ch.basic_publish("", "hello", "Hello World!")  # str is sent as UTF-8, as pika does
    ch.basic_publish("", "nobody", b"lost")  # unroutable: dropped silently
    method, props, body = ch.basic_get("hello", auto_ack=True)
    assert (body, method.exchange, method.routing_key) == (b"Hello World!", "", "hello")
    assert props == BasicProperties()
    with pytest.raises(UnroutableError):
        ch.basic_publish("", "nobody", b"x", mandatory=True)
    assert ch.is_open


TOPIC_CASES = [
    # (binding key, routing key, matches)
    ("#", "", True),
    ("#", "a", True),
    ("#", "a.b.c", True),
    ("#", ".", True),
    ("*", "", False),
    ("*", "a", True),
    ("*", "a.b", False),
    ("*", ".", False),
    ("*.*", ".", True),
    ("", "", True),
    ("", "a", False),
    ("a.#", "a", True),
    ("a.#", "a.b.c", True),
    ("a.#", "b.a", False),
    ("#.b", "b", True),
    ("#.b", "a.b.c", False),
    ("a.#.b", "a.b", True),
    ("a.#.b", "a.x.b", True),
    ("a.#.b", "a.x.y.b", True),
    ("a.#.b", "a..b", True),
    ("a.#.b", "a.b.", False),
    ("a.#.b", "a.x.b.c", False),
    ("a.*.b", "a.b", False),
    ("a.*.b", "a..b", True),
    ("a.#.#.b", "a.b", True),
    ("*.orange.*", "quick.orange.rabbit", True),
    ("*.orange.*", "quick.orange.male.rabbit", False),
    ("*.*.rabbit", "lazy.pink.rabbit", True),
    ("lazy.#", "lazy", True),
    ("lazy.#", "lazy.orange.male.rabbit", True),
    ("#.*", "", False),
    ("*.#", "a", True),
]


@pytest.mark.parametrize(("binding", "key", "expected"), TOPIC_CASES)
def test_topic_matching_table(binding: str, key: str, expected: bool) -> None:
    assert topic_matches(binding, key) is expected


def test_topic_exchange_routes_through_the_matching_bindings(mq: SimQueue) -> None:
    ch = mq.channel()
    ch.exchange_declare("topic_logs", exchange_type="topic")
    bindings = {"q1": ["*.orange.*"], "q2": ["*.*.rabbit", "lazy.#"]}
    for q, keys in bindings.items():
        ch.queue_declare(q)
        for key in keys:
            ch.queue_bind(q, "topic_logs", routing_key=key)
    for key in (
        "quick.orange.rabbit",
        "lazy.orange.elephant",
        "quick.brown.fox",
        "lazy.pink.rabbit",
    ):
        ch.basic_publish("topic_logs", key, key.encode())
    got = {q: [] for q in bindings}
    for q in bindings:
        while (r := ch.basic_get(q, auto_ack=True))[0] is not None:
            got[q].append(r[0].routing_key)
    # lazy.pink.rabbit matches two bindings of q2 and is still delivered to it once
    assert got == {
        "q1": ["quick.orange.rabbit", "lazy.orange.elephant"],
        "q2": ["quick.orange.rabbit", "lazy.orange.elephant", "lazy.pink.rabbit"],
    }


def test_split_topic_key_keeps_empty_words() -> None:
    assert split_topic_key("a..b") == ["a", "", "b"]
    assert split_topic_key("") == []


# -- acknowledgements ------------------------------------------------------------------------------
def test_a_message_is_gone_once_acked_and_counts_are_of_ready_messages(mq: SimQueue) -> None:
    ch = mq.channel()
    ch.queue_declare("tasks")
    publish(ch, "tasks", 3)
    method, _, _ = ch.basic_get("tasks")
    assert method.message_count == 2
    table = mq.queues().set_index("queue").loc["tasks"]
    assert (table["ready"], table["unacked"]) == (2, 1)  # delivered, not yet gone
    ch.basic_ack(method.delivery_tag)
    table = mq.queues().set_index("queue").loc["tasks"]
    assert (table["ready"], table["unacked"]) == (2, 0)


def test_nack_requeues_to_the_original_position_marked_redelivered(mq: SimQueue) -> None:
    ch = mq.channel()
    ch.queue_declare("jobs")
    publish(ch, "jobs", 4)
    tags = [ch.basic_get("jobs")[0].delivery_tag for _ in range(3)]  # m1, m2, m3
    ch.basic_nack(tags[1])  # m2 goes back before m4
    ch.basic_nack(tags[0])  # m1 goes back before m2
    order = []
    while (r := ch.basic_get("jobs", auto_ack=True))[0] is not None:
        order.append((r[2].decode(), r[0].redelivered))
    assert order == [("m1", True), ("m2", True), ("m4", False)]
    assert ch.basic_get("jobs") == (None, None, None)


def test_nack_without_requeue_and_reject_discard(mq: SimQueue) -> None:
    ch = mq.channel()
    ch.queue_declare("jobs")
    publish(ch, "jobs", 3)
    t1 = ch.basic_get("jobs")[0].delivery_tag
    t2 = ch.basic_get("jobs")[0].delivery_tag
    ch.basic_nack(t1, requeue=False)
    ch.basic_reject(t2, requeue=False)
    assert ready(ch, "jobs") == 1
    assert mq.events("discard")["message"].tolist() == [1, 2]


def test_multiple_acks_everything_up_to_the_tag(mq: SimQueue) -> None:
    ch = mq.channel()
    ch.queue_declare("jobs")
    publish(ch, "jobs", 4)
    tags = [ch.basic_get("jobs")[0].delivery_tag for _ in range(4)]
    ch.basic_ack(tags[2], multiple=True)
    assert mq.events("ack")["delivery_tag"].tolist() == [1, 2, 3]
    ch.basic_nack(0, multiple=True)  # tag 0 with multiple: every unacknowledged one
    assert ready(ch, "jobs") == 1


def test_unknown_or_double_ack_closes_the_channel(mq: SimQueue) -> None:
    ch = mq.channel()
    ch.queue_declare("jobs")
    publish(ch, "jobs", 2)
    tag = ch.basic_get("jobs")[0].delivery_tag
    held = ch.basic_get("jobs")[0].delivery_tag
    ch.basic_ack(tag)
    with pytest.raises(ChannelClosedByBroker) as e:
        ch.basic_ack(tag)
    assert (e.value.reply_code, e.value.reply_text) == (
        406,
        f"PRECONDITION_FAILED - unknown delivery tag {tag}",
    )
    with pytest.raises(ChannelWrongStateError):
        ch.basic_get("jobs")
    other = mq.channel()
    assert ready(other, "jobs") == 1  # the closed channel's unacked message came back
    method, _, _ = other.basic_get("jobs")
    assert method.redelivered and held == 2


def test_delivery_tags_count_per_channel(mq: SimQueue) -> None:
    a, b = mq.channel(), mq.channel()
    a.queue_declare("jobs")
    publish(a, "jobs", 4)
    tags = [ch.basic_get("jobs")[0].delivery_tag for ch in (a, b, a, b)]
    assert tags == [1, 1, 2, 2]
    with pytest.raises(ChannelClosedByBroker):
        a.basic_ack(3)  # a never delivered tag 3


# -- consumers ---------------------------------------------------------------------------------------
def test_competing_consumers_take_turns(mq: SimQueue) -> None:
    setup = mq.channel()
    setup.queue_declare("work")
    seen: dict[str, list] = {n: [] for n in "abc"}
    for n in seen:
        mq.channel().basic_consume("work", recorder(seen[n]))
    publish(setup, "work", 7)
    assert ready(setup, "work") == 0  # pushed at once; callbacks not run yet
    assert mq.process_data_events() == 7
    assert seen == {"a": ["m1", "m4", "m7"], "b": ["m2", "m5"], "c": ["m3", "m6"]}


def test_messages_waiting_are_pushed_when_a_consumer_arrives(mq: SimQueue) -> None:
    ch = mq.channel()
    ch.queue_declare("work")
    publish(ch, "work", 3)
    seen: list = []
    ch.basic_consume("work", recorder(seen))
    assert ready(ch, "work") == 0
    assert ch.start_consuming(max_messages=2) == 2
    assert seen == ["m1", "m2"]
    assert ch.start_consuming() == 1


def test_prefetch_limits_unacked_per_consumer(mq: SimQueue) -> None:
    setup = mq.channel()
    setup.queue_declare("work")
    seen: dict[str, list] = {"a": [], "b": []}
    a, b = mq.channel(), mq.channel()
    a.basic_qos(prefetch_count=1)
    a.basic_consume("work", recorder(seen["a"], ack=False))
    b.basic_qos(prefetch_count=2)
    b.basic_consume("work", recorder(seen["b"], ack=False))
    publish(setup, "work", 5)
    mq.process_data_events()
    assert seen == {"a": ["m1"], "b": ["m2", "m3"]}
    assert ready(setup, "work") == 2
    b.basic_ack(0, multiple=True)  # b has room for two again
    mq.process_data_events()
    assert seen["b"] == ["m2", "m3", "m4", "m5"]


def test_a_blocked_consumer_rejoins_the_turns_at_the_back(mq: SimQueue) -> None:
    """RabbitMQ moves a consumer without room out of the turn order; an ack puts it back at the
    end: a is skipped for m4 (b gets it), acks, and then waits behind c and b."""
    setup = mq.channel()
    setup.queue_declare("work")
    seen: dict[str, list] = {n: [] for n in "abc"}
    chans = {}
    for n in seen:
        chans[n] = mq.channel()
        if n == "a":
            chans[n].basic_qos(prefetch_count=1)
        chans[n].basic_consume("work", recorder(seen[n], ack=n != "a"))
    publish(setup, "work", 4)  # m1 a, m2 b, m3 c, m4: a is full -> b
    chans["a"].basic_ack(1)
    publish(setup, "work", 2, start=5)
    mq.process_data_events()
    assert seen == {"a": ["m1"], "b": ["m2", "m4", "m6"], "c": ["m3", "m5"]}


def test_global_qos_shares_the_limit_across_the_channel(mq: SimQueue) -> None:
    setup = mq.channel()
    for q in ("q1", "q2"):
        setup.queue_declare(q)
    seen: list = []
    ch = mq.channel()
    ch.basic_qos(prefetch_count=3, global_qos=True)
    ch.basic_consume("q1", recorder(seen, ack=False))
    ch.basic_consume("q2", recorder(seen, ack=False))
    publish(setup, "q1", 2)
    publish(setup, "q2", 2, start=3)
    mq.process_data_events()
    assert seen == ["m1", "m2", "m3"]
    ch.basic_ack(1)
    mq.process_data_events()
    assert seen[-1] == "m4"


def test_a_crashed_consumer_s_messages_go_back_and_order_changes(mq: SimQueue) -> None:
    setup = mq.channel()
    setup.queue_declare("work")
    seen: dict[str, list] = {"a": [], "b": []}
    a, b = mq.channel(), mq.channel()
    a.basic_consume("work", recorder(seen["a"], ack=False))
    b.basic_consume("work", recorder(seen["b"]))
    publish(setup, "work", 6)
    mq.process_data_events()
    a.crash()
    mq.process_data_events()
    assert seen["b"] == ["m2", "m4", "m6", "m1", "m3", "m5"]  # not the publish order
    assert ready(setup, "work") == 0
    deliveries = mq.events("deliver").query("consumer_tag == @b.consumer_tags[0]")
    assert deliveries["redelivered"].tolist() == [False] * 3 + [True] * 3
    with pytest.raises(ChannelWrongStateError):
        a.basic_ack(1)


def test_crash_before_the_callbacks_ran_and_auto_ack_loses_messages(mq: SimQueue) -> None:
    setup = mq.channel()
    setup.queue_declare("safe")
    setup.queue_declare("risky")
    seen: list = []
    manual, auto = mq.channel(), mq.channel()
    manual.basic_consume("safe", recorder(seen))
    auto.basic_consume("risky", recorder(seen, ack=False), auto_ack=True)
    publish(setup, "safe", 2)
    publish(setup, "risky", 2, start=3)
    manual.crash()
    auto.crash()
    assert mq.process_data_events() == 0
    assert (ready(setup, "safe"), ready(setup, "risky")) == (2, 0)  # auto_ack: gone


def test_close_and_cancel_reject_what_the_callbacks_did_not_see(mq: SimQueue) -> None:
    setup = mq.channel()
    setup.queue_declare("work")
    seen: list = []
    ch = mq.channel()
    tag = ch.basic_consume("work", recorder(seen))
    publish(setup, "work", 2)
    assert ch.basic_cancel(tag) == []
    assert ready(setup, "work") == 2
    # pika rejects m1 and m2 before the cancel reaches the broker, which pushes them straight
    # back to the same (still registered) consumer; pika rejects them again after the cancel
    assert mq.events("requeue")["message"].tolist() == [1, 2, 1, 2]
    ch.close()
    with pytest.raises(ChannelWrongStateError):
        ch.basic_get("work")


def test_nack_in_a_callback_redelivers_at_once(mq: SimQueue) -> None:
    ch = mq.channel()
    ch.queue_declare("retry")
    ch.basic_qos(prefetch_count=1)
    seen: list = []

    def on_message(ch, method, properties, body) -> None:
        seen.append((body.decode(), method.redelivered))
        if method.redelivered:
            ch.basic_ack(method.delivery_tag)
        else:
            ch.basic_nack(method.delivery_tag)

    ch.basic_consume("retry", on_message)
    publish(ch, "retry", 2)
    mq.process_data_events()
    assert seen == [("m1", False), ("m1", True), ("m2", False), ("m2", True)]


def test_a_consumer_that_always_requeues_is_stopped_by_max_messages(mq: SimQueue) -> None:
    ch = mq.channel()
    ch.queue_declare("poison")
    ch.basic_consume("poison", lambda c, m, p, b: c.basic_nack(m.delivery_tag))
    publish(ch, "poison", 1)
    assert mq.process_data_events(max_messages=50) == 50
    assert len(mq.events("requeue")) == 50


def test_exclusive_consumer_refuses_a_second_one(mq: SimQueue) -> None:
    ch = mq.channel()
    ch.queue_declare("solo")
    ch.basic_consume("solo", lambda *a: None, exclusive=True)
    with pytest.raises(ChannelClosedByBroker) as e:
        mq.channel().basic_consume("solo", lambda *a: None)
    assert e.value.reply_code == 403


# -- queue lifecycle -----------------------------------------------------------------------------------
def test_server_named_queues_are_reproducible_per_seed() -> None:
    def names(seed: int) -> list[str]:
        ch = SimQueue(seed=seed).channel()
        return [ch.queue_declare("", exclusive=True).method.queue for _ in range(2)]

    assert names(1) == names(1) != names(2)
    assert all(n.startswith("amq.gen-") and len(n) == 30 for n in names(1))


def test_exclusive_queues_go_with_the_connection_and_auto_delete_with_the_last_consumer() -> None:
    mq = SimQueue()
    ch = mq.channel()
    temp = ch.queue_declare("", exclusive=True).method.queue
    ch.queue_declare("fleeting", auto_delete=True)
    tag = ch.basic_consume("fleeting", lambda *a: None)
    ch.basic_cancel(tag)
    assert set(mq.queues()["queue"]) == {temp}
    mq.close()
    assert mq.queues().empty
    with pytest.raises(ConnectionWrongStateError):
        mq.channel()


def test_purge_and_delete(mq: SimQueue) -> None:
    ch = mq.channel()
    ch.queue_declare("jobs")
    publish(ch, "jobs", 3)
    tag = ch.basic_get("jobs")[0].delivery_tag
    assert ch.queue_purge("jobs").method.message_count == 2
    publish(ch, "jobs", 1, start=4)
    consumer = mq.channel()
    consumer.basic_consume("jobs", lambda *a: None)
    assert ch.queue_delete("jobs").method.message_count == 0  # m4 went to the consumer
    assert consumer.consumer_tags == []  # cancelled by the broker
    ch.basic_ack(tag)  # acking a message of a deleted queue is fine
    assert ch.queue_delete("jobs").method.message_count == 0  # deleting twice too


# -- errors ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "code", "text"),
    [
        (lambda ch: ch.basic_get("x"), 404, "NOT_FOUND - no queue 'x' in vhost '/'"),
        (lambda ch: ch.queue_purge("x"), 404, "NOT_FOUND - no queue 'x' in vhost '/'"),
        (lambda ch: ch.basic_consume("x", print), 404, "NOT_FOUND - no queue 'x' in vhost '/'"),
        (
            lambda ch: ch.basic_publish("x", "k", b""),
            404,
            "NOT_FOUND - no exchange 'x' in vhost '/'",
        ),
        (
            lambda ch: ch.exchange_declare("x", passive=True),
            404,
            "NOT_FOUND - no exchange 'x' in vhost '/'",
        ),
        (lambda ch: ch.queue_bind("q", "x"), 404, "NOT_FOUND - no exchange 'x' in vhost '/'"),
        (
            lambda ch: ch.queue_bind("q", ""),
            403,
            "ACCESS_REFUSED - operation not permitted on the default exchange",
        ),
        (
            lambda ch: ch.queue_declare("q", durable=True),
            406,
            "PRECONDITION_FAILED - inequivalent arg 'durable' for queue 'q' in vhost '/': received 'true' but current is 'false'",
        ),
        (
            lambda ch: ch.queue_declare("amq.q"),
            403,
            "ACCESS_REFUSED - queue name 'amq.q' contains reserved prefix 'amq.*'",
        ),
    ],
)
def test_refusals_close_the_channel_with_rabbitmq_s_reply(call, code: int, text: str) -> None:
    mq = SimQueue()
    ch = mq.channel()
    ch.queue_declare("q")
    with pytest.raises(ChannelClosedByBroker) as e:
        call(ch)
    assert (e.value.reply_code, e.value.reply_text) == (code, text)
    assert ch.is_closed and mq.is_open
    assert mq.events("channel_error")["detail"].tolist() == [text]


def test_an_unknown_exchange_type_closes_the_connection() -> None:
    mq = SimQueue()
    with pytest.raises(ConnectionClosedByBroker) as e:
        mq.channel().exchange_declare("x", exchange_type="bogus")
    assert e.value.reply_code == 503
    assert mq.is_closed
    with pytest.raises(NotImplementedError):
        SimQueue().channel().exchange_declare("h", exchange_type="headers")


# -- events and determinism --------------------------------------------------------------------------------
def scenario(seed: int) -> list[tuple]:
    mq = SimQueue(seed=seed)
    ch = mq.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.basic_consume(q, recorder([], ack=False))
    publish(ch, q, 3)
    mq.process_data_events()
    ch.basic_nack(2)
    mq.process_data_events()
    return [tuple(r) for r in mq.events().astype(object).itertuples(index=False)]


def test_same_seed_same_events() -> None:
    assert scenario(5) == scenario(5)
    assert scenario(5) != scenario(6)  # queue names and consumer tags differ


def test_events_table_columns(mq: SimQueue) -> None:
    ch = mq.channel()
    ch.queue_declare("q")
    ch.basic_publish("", "q", b"x", BasicProperties(message_id="id-1"))
    assert tuple(mq.events().columns) == QUEUE_EVENT_COLUMNS
    assert mq.events()["event"].tolist() == ["channel_open", "queue_declared", "publish", "route"]
    assert ch.basic_get("q", auto_ack=True)[1].message_id == "id-1"
