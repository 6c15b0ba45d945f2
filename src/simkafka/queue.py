"""SimQueue: a deterministic, in-process RabbitMQ (AMQP 0-9-1) for the contrast with Kafka.

A queue is not a log: a message sits in a queue until a consumer acknowledges it, and then
it is gone. ``SimQueue`` models one RabbitMQ node and one connection to it, with the method
names and results of pika's ``BlockingConnection`` and ``BlockingChannel`` (a subset, and no
pika import, so it also runs in Pyodide). There are no threads: the broker side acts at once
(routing, pushing messages to consumers that have room under their prefetch), and the client
side runs consumer callbacks when asked, with ``process_data_events()`` or
``channel.start_consuming()``. Everything that happens is one row of one event list.

>>> mq = SimQueue(seed=1)
>>> ch = mq.channel()
>>> ch.queue_declare(queue="tasks").method.queue
'tasks'
>>> ch.basic_publish(exchange="", routing_key="tasks", body=b"resize img-1")
>>> method, properties, body = ch.basic_get("tasks")
>>> body, method.delivery_tag, method.redelivered
(b'resize img-1', 1, False)
>>> ch.basic_nack(method.delivery_tag)          # requeue=True: back where it was
>>> method, _, body = ch.basic_get("tasks")
>>> body, method.delivery_tag, method.redelivered
(b'resize img-1', 2, True)
>>> ch.basic_ack(method.delivery_tag)           # acknowledged: the message is gone
>>> ch.queue_declare(queue="tasks", passive=True).method.message_count
0
>>> ch.basic_get("tasks")
(None, None, None)
"""

from __future__ import annotations

import base64
import heapq
import random
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "EXCHANGE_TYPES",
    "QUEUE_EVENT_COLUMNS",
    "AMQPChannelError",
    "AMQPConnectionError",
    "AMQPError",
    "BasicProperties",
    "ChannelClosed",
    "ChannelClosedByBroker",
    "ChannelClosedByClient",
    "ChannelWrongStateError",
    "ConnectionClosed",
    "ConnectionClosedByBroker",
    "ConnectionWrongStateError",
    "DeclareOk",
    "DeleteOk",
    "Deliver",
    "GetOk",
    "Method",
    "PurgeOk",
    "SimChannel",
    "SimQueue",
    "UnroutableError",
    "split_topic_key",
    "topic_matches",
    "topic_table",
]

#: The exchange types SimQueue models (RabbitMQ also has ``headers``).
EXCHANGE_TYPES = ("direct", "fanout", "topic")

#: Columns of ``SimQueue.events()``, in order.
QUEUE_EVENT_COLUMNS = (
    "step",
    "event",
    "exchange",
    "queue",
    "routing_key",
    "message",
    "body",
    "channel",
    "consumer_tag",
    "delivery_tag",
    "redelivered",
    "detail",
)

#: Callbacks one ``process_data_events()`` call runs at most (a consumer that always nacks
#: with requeue=True would otherwise loop for ever, as it spins on a real broker).
DISPATCH_LIMIT = 100_000

VHOST = "/"


# -- pika's exceptions, by name (pika.exceptions) ---------------------------------------------
class AMQPError(Exception):
    """Base of the AMQP errors, as ``pika.exceptions.AMQPError``."""


class AMQPConnectionError(AMQPError):
    """The connection failed or is unusable, as ``pika.exceptions.AMQPConnectionError``."""


class ConnectionWrongStateError(AMQPConnectionError):
    """A call on a connection that is closed."""


class _Closed(Exception):
    """A connection or channel closed with an AMQP reply code and text, as pika reports it."""

    def __init__(self, reply_code: int, reply_text: str) -> None:
        super().__init__(int(reply_code), str(reply_text))

    @property
    def reply_code(self) -> int:
        return self.args[0]

    @property
    def reply_text(self) -> str:
        return self.args[1]

    def __str__(self) -> str:
        return f"({self.reply_code}) {self.reply_text}"

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}: ({self.reply_code}) {self.reply_text!r}"


class ConnectionClosed(_Closed, AMQPConnectionError):
    """The connection was closed: ``reply_code`` and ``reply_text`` say why."""


class ConnectionClosedByBroker(ConnectionClosed):
    """The broker closed the connection (a connection-level error such as COMMAND_INVALID)."""


class AMQPChannelError(AMQPError):
    """Base of the channel errors, as ``pika.exceptions.AMQPChannelError``."""


class ChannelWrongStateError(AMQPChannelError):
    """A call on a channel that is closed (after an error, ``close()`` or ``crash()``)."""


class ChannelClosed(_Closed, AMQPChannelError):
    """The channel was closed: ``reply_code`` and ``reply_text`` say why.

    >>> e = ChannelClosedByBroker(404, "NOT_FOUND - no queue 'x' in vhost '/'")
    >>> e.reply_code, str(e)
    (404, "(404) NOT_FOUND - no queue 'x' in vhost '/'")
    """


class ChannelClosedByBroker(ChannelClosed):
    """The broker closed the channel: a channel-level error (404 NOT_FOUND, 406, 403 ...)."""


class ChannelClosedByClient(ChannelClosed):
    """The client closed the channel itself."""


class UnroutableError(AMQPChannelError):
    """A ``mandatory`` message matched no queue and was returned (pika raises it in confirm mode)."""

    def __init__(self, messages: list[Any]) -> None:
        super().__init__(messages)
        self.messages = messages

    def __str__(self) -> str:
        return f"{len(self.messages)} unroutable messages returned by broker"


# -- pika's method frames and properties ---------------------------------------------------------
@dataclass(frozen=True)
class BasicProperties:
    """A message's properties, named as ``pika.BasicProperties`` (a subset)."""

    content_type: str | None = None
    content_encoding: str | None = None
    headers: dict[str, Any] | None = None
    delivery_mode: int | None = None
    priority: int | None = None
    correlation_id: str | None = None
    reply_to: str | None = None
    expiration: str | None = None
    message_id: str | None = None
    timestamp: int | None = None
    type: str | None = None
    user_id: str | None = None
    app_id: str | None = None


@dataclass(frozen=True)
class Deliver:
    """``Basic.Deliver``: what a consumer callback receives as ``method``."""

    consumer_tag: str
    delivery_tag: int
    redelivered: bool
    exchange: str
    routing_key: str


@dataclass(frozen=True)
class GetOk:
    """``Basic.GetOk``: ``message_count`` is how many messages are still ready in the queue."""

    delivery_tag: int
    redelivered: bool
    exchange: str
    routing_key: str
    message_count: int


@dataclass(frozen=True)
class DeclareOk:
    """``Queue.DeclareOk``: ``message_count`` counts ready messages (not the unacknowledged)."""

    queue: str
    message_count: int
    consumer_count: int


@dataclass(frozen=True)
class PurgeOk:
    """``Queue.PurgeOk``: how many ready messages the purge removed."""

    message_count: int


@dataclass(frozen=True)
class DeleteOk:
    """``Queue.DeleteOk``: how many ready messages were deleted with the queue."""

    message_count: int


M = TypeVar("M")


@dataclass(frozen=True)
class Method(Generic[M]):
    """A method frame, as ``pika.frame.Method``: the reply is in ``.method``."""

    channel_number: int
    method: M


# -- topic matching ------------------------------------------------------------------------------
def split_topic_key(key: str) -> list[str]:
    """Words of a routing or binding key, split at dots as RabbitMQ does.

    The empty key has no words; every dot separates two words, which may be empty.

    >>> split_topic_key(""), split_topic_key("a.b"), split_topic_key("a."), split_topic_key(".")
    ([], ['a', 'b'], ['a', ''], ['', ''])
    """
    return key.split(".") if key else []


def topic_matches(binding_key: str, routing_key: str) -> bool:
    """Whether a topic exchange routes ``routing_key`` through a binding with ``binding_key``.

    "* (star) can substitute for exactly one word. # (hash) can substitute for zero or more
    words." Words are separated by dots and may be empty.

    >>> topic_matches("*.orange.*", "quick.orange.rabbit"), topic_matches("*", "a.b")
    (True, False)
    >>> topic_matches("#", ""), topic_matches("a.#.b", "a.b"), topic_matches("a.#", "a")
    (True, True, True)
    >>> topic_matches("*", ""), topic_matches("*", "."), topic_matches("*.*", ".")
    (False, False, True)
    """
    pattern = split_topic_key(binding_key)
    words = split_topic_key(routing_key)
    # positions in `words` that the pattern prefix read so far can end at
    reach = {0}
    for p in pattern:
        if p == "#":
            start = min(reach)
            reach = set(range(start, len(words) + 1))
        else:
            reach = {i + 1 for i in reach if i < len(words) and (p == "*" or words[i] == p)}
        if not reach:
            return False
    return len(words) in reach


# -- the broker's state --------------------------------------------------------------------------
@dataclass(eq=False)
class _Message:
    """One copy of a published message in one queue; ``seq`` is its place in that queue."""

    seq: int
    number: int
    exchange: str
    routing_key: str
    body: bytes
    properties: BasicProperties
    redelivered: bool = False

    def __lt__(self, other: _Message) -> bool:
        return self.seq < other.seq


@dataclass(eq=False)
class _Exchange:
    name: str
    type: str
    durable: bool = False
    auto_delete: bool = False
    internal: bool = False
    #: (queue name, binding key), in the order they were bound, no duplicates
    bindings: list[tuple[str, str]] = field(default_factory=list)


@dataclass(eq=False)
class _Consumer:
    tag: str
    channel: SimChannel
    queue: _Queue
    callback: Callable[..., Any]
    auto_ack: bool
    prefetch: int
    exclusive: bool = False
    unacked: int = 0
    active: bool = True

    def has_room(self) -> bool:
        """Whether RabbitMQ may push it one more message (consumer and channel prefetch)."""
        if self.auto_ack:
            return True
        if self.prefetch and self.unacked >= self.prefetch:
            return False
        ch = self.channel
        return not (ch._global_prefetch and ch._consumer_unacked() >= ch._global_prefetch)


@dataclass(eq=False)
class _Queue:
    name: str
    durable: bool = False
    exclusive: bool = False
    auto_delete: bool = False
    ready: list[_Message] = field(default_factory=list)  # a heap on seq: original positions
    next_seq: int = 0
    ring: deque[_Consumer] = field(default_factory=deque)  # consumers taking turns
    blocked: list[_Consumer] = field(default_factory=list)  # out of turn until they have room
    consumers: dict[str, _Consumer] = field(default_factory=dict)
    had_consumer: bool = False
    deleted: bool = False


@dataclass(eq=False)
class _Unacked:
    queue: _Queue
    message: _Message
    consumer: _Consumer | None  # None for basic_get


class SimQueue:
    """One RabbitMQ node and one connection to it, deterministic and in-process.

    ``channel()`` opens a channel shaped like pika's ``BlockingChannel``. Messages are routed
    and pushed to consumers at once (so ``message_count`` drops as soon as a consumer with room
    takes a message); callbacks run when ``process_data_events()`` (or a channel's
    ``start_consuming()``) is called. Server-named queues and consumer tags come from
    ``random.Random(seed)``.

    Competing consumers take turns; a message that is not acknowledged goes back to the queue
    when its channel closes, at its original position, marked ``redelivered``:

    >>> mq = SimQueue(seed=0)
    >>> setup = mq.channel()
    >>> _ = setup.queue_declare("work")
    >>> seen = {"a": [], "b": []}
    >>> def worker(name, ack):
    ...     def on_message(ch, method, properties, body):
    ...         seen[name].append((body.decode(), method.redelivered))
    ...         if ack:
    ...             ch.basic_ack(method.delivery_tag)
    ...     return on_message
    >>> a, b = mq.channel(), mq.channel()
    >>> _ = a.basic_consume("work", worker("a", ack=False))
    >>> _ = b.basic_consume("work", worker("b", ack=True))
    >>> for i in range(1, 5):
    ...     setup.basic_publish("", "work", f"m{i}".encode())
    >>> mq.process_data_events()
    4
    >>> seen
    {'a': [('m1', False), ('m3', False)], 'b': [('m2', False), ('m4', False)]}
    >>> a.crash()                                # a dies without acking m1 and m3
    >>> mq.process_data_events()
    2
    >>> seen["b"]
    [('m2', False), ('m4', False), ('m1', True), ('m3', True)]
    >>> mq.events("requeue")[["queue", "message", "detail"]].values.tolist()
    [['work', 1, 'channel 2 crashed'], ['work', 3, 'channel 2 crashed']]
    """

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self._exchanges: dict[str, _Exchange] = {
            "": _Exchange("", "direct", durable=True),
            "amq.direct": _Exchange("amq.direct", "direct", durable=True),
            "amq.fanout": _Exchange("amq.fanout", "fanout", durable=True),
            "amq.topic": _Exchange("amq.topic", "topic", durable=True),
        }
        self._queues: dict[str, _Queue] = {}
        self._channels: dict[int, SimChannel] = {}
        self._next_channel = 1
        self._published = 0
        self._inbox: deque[tuple[SimChannel, _Consumer, Deliver, BasicProperties, bytes]] = deque()
        self._events: list[tuple] = []
        self._open = True

    # -- the connection ---------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self._open

    @property
    def is_closed(self) -> bool:
        return not self._open

    def channel(self, channel_number: int | None = None) -> SimChannel:
        """Open a channel (numbered 1, 2, ... as pika numbers them)."""
        self._require_open()
        number = channel_number if channel_number is not None else self._next_channel
        if number in self._channels:
            raise ChannelWrongStateError(f"channel {number} is already open")
        self._next_channel = max(self._next_channel, number + 1)
        ch = SimChannel(self, number)
        self._channels[number] = ch
        self._event("channel_open", channel=number)
        return ch

    def close(self) -> None:
        """Close the connection: every channel closes (unacknowledged messages go back to their
        queues) and exclusive queues are deleted, as when a real connection closes."""
        if not self._open:
            return
        for ch in list(self._channels.values()):
            ch._shutdown("connection closed", graceful=True)
        for q in [q for q in self._queues.values() if q.exclusive]:
            self._delete_queue(q, "exclusive queue of a closed connection")
        self._open = False
        self._event("connection_closed")

    def __enter__(self) -> SimQueue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def process_data_events(
        self, time_limit: float | None = 0, max_messages: int | None = None
    ) -> int:
        """Run consumer callbacks for the deliveries waiting, in the order the broker pushed
        them, until none wait (or ``max_messages`` ran); returns how many callbacks ran.

        Acks in a callback free prefetch room at once, so the broker pushes the next message
        and this call runs it too. ``time_limit`` is accepted for pika's signature: simulated
        consumers never wait.
        """
        limit = DISPATCH_LIMIT if max_messages is None else max_messages
        ran = 0
        while self._inbox and ran < limit:
            ch, consumer, method, properties, body = self._inbox.popleft()
            if not ch.is_open or not consumer.active:
                continue
            ran += 1
            consumer.callback(ch, method, properties, body)
        return ran

    def sleep(self, duration: float) -> None:
        """pika's ``connection.sleep``: here it runs the waiting callbacks and returns."""
        self.process_data_events()

    # -- tables -------------------------------------------------------------------------------
    def events(self, kind: str | None = None) -> pd.DataFrame:
        """Every event so far as a DataFrame (columns QUEUE_EVENT_COLUMNS), optionally of one kind.

        Kinds: channel_open, channel_closed, channel_crashed, channel_error, exchange_declared,
        queue_declared, bind, unbind, publish, route, unroutable, consume, cancel, deliver, get,
        ack, nack, reject, requeue, discard, purge, queue_deleted, exchange_deleted.
        """
        import pandas as pd

        rows = self._events if kind is None else [e for e in self._events if e[1] == kind]
        df = pd.DataFrame(rows, columns=list(QUEUE_EVENT_COLUMNS))
        for col in ("message", "channel", "delivery_tag"):
            df[col] = df[col].astype("Int64")
        df["redelivered"] = df["redelivered"].astype("boolean")
        return df

    def queues(self) -> pd.DataFrame:
        """One row per queue: ready and unacknowledged messages, consumers, flags, and
        ``message_bytes``: the sum of the bodies of its ready and unacknowledged messages, as
        RabbitMQ counts it (``rabbitmqctl list_queues name message_bytes``): each queue
        counts its own copy of a message that a fanout exchange routed to several."""
        import pandas as pd

        unacked: dict[str, int] = {}
        unacked_bytes: dict[str, int] = {}
        for ch in self._channels.values():
            for u in ch._unacked.values():
                unacked[u.queue.name] = unacked.get(u.queue.name, 0) + 1
                size = len(u.message.body)
                unacked_bytes[u.queue.name] = unacked_bytes.get(u.queue.name, 0) + size
        rows = [
            (
                q.name,
                len(q.ready),
                unacked.get(q.name, 0),
                len(q.consumers),
                q.durable,
                q.exclusive,
                q.auto_delete,
                sum(len(m.body) for m in q.ready) + unacked_bytes.get(q.name, 0),
            )
            for q in self._queues.values()
        ]
        return pd.DataFrame(
            rows,
            columns=[
                "queue",
                "ready",
                "unacked",
                "consumers",
                "durable",
                "exclusive",
                "auto_delete",
                "message_bytes",
            ],
        )

    def bindings(self) -> pd.DataFrame:
        """One row per binding: exchange, its type, queue, binding key."""
        import pandas as pd

        rows = [
            (x.name, x.type, qname, key)
            for x in self._exchanges.values()
            for qname, key in x.bindings
        ]
        return pd.DataFrame(rows, columns=["exchange", "type", "queue", "routing_key"])

    # -- internals: events, ids, errors -------------------------------------------------------------
    def _event(
        self,
        event: str,
        *,
        exchange: str | None = None,
        queue: str | None = None,
        routing_key: str | None = None,
        message: int | None = None,
        body: bytes | None = None,
        channel: int | None = None,
        consumer_tag: str | None = None,
        delivery_tag: int | None = None,
        redelivered: bool | None = None,
        detail: str = "",
    ) -> None:
        self._events.append(
            (
                len(self._events),
                event,
                exchange,
                queue,
                routing_key,
                message,
                body,
                channel,
                consumer_tag,
                delivery_tag,
                redelivered,
                detail,
            )
        )

    def _server_queue_name(self) -> str:
        raw = self.rng.getrandbits(128).to_bytes(16, "big")
        return "amq.gen-" + base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _require_open(self) -> None:
        if not self._open:
            raise ConnectionWrongStateError("Connection is closed.")

    def _exchange(self, name: str) -> _Exchange:
        x = self._exchanges.get(name)
        if x is None:
            raise _Refused(404, f"NOT_FOUND - no exchange '{name}' in vhost '{VHOST}'")
        return x

    def _queue(self, name: str) -> _Queue:
        q = self._queues.get(name)
        if q is None:
            raise _Refused(404, f"NOT_FOUND - no queue '{name}' in vhost '{VHOST}'")
        return q

    # -- internals: routing and pushing ----------------------------------------------------------
    def _route(self, x: _Exchange, routing_key: str) -> list[_Queue]:
        if x.name == "":
            q = self._queues.get(routing_key)
            return [q] if q is not None else []
        names: list[str] = []
        for qname, key in x.bindings:
            if qname in names:
                continue
            if (
                x.type == "fanout"
                or (x.type == "direct" and key == routing_key)
                or (x.type == "topic" and topic_matches(key, routing_key))
            ):
                names.append(qname)
        return [self._queues[n] for n in names]

    def _enqueue(self, q: _Queue, number: int, x: str, key: str, body: bytes, props) -> None:
        msg = _Message(q.next_seq, number, x, key, body, props)
        q.next_seq += 1
        heapq.heappush(q.ready, msg)
        self._event("route", exchange=x, queue=q.name, routing_key=key, message=number, body=body)

    def _next_consumer(self, q: _Queue) -> _Consumer | None:
        """RabbitMQ's turn-taking: the consumer at the head of the ring takes the message and
        goes to the back; one without room leaves the ring until an ack gives it room again."""
        while q.ring:
            c = q.ring.popleft()
            if c.has_room():
                q.ring.append(c)
                return c
            q.blocked.append(c)
        return None

    def _run(self, q: _Queue) -> None:
        """Push ready messages to consumers with room, head of the queue first."""
        while q.ready and not q.deleted:
            c = self._next_consumer(q)
            if c is None:
                return
            msg = heapq.heappop(q.ready)
            ch = c.channel
            tag = ch._next_tag()
            if c.auto_ack:
                detail = "auto_ack: removed from the queue on delivery"
            else:
                c.unacked += 1
                ch._unacked[tag] = _Unacked(q, msg, c)
                detail = ""
            method = Deliver(c.tag, tag, msg.redelivered, msg.exchange, msg.routing_key)
            self._inbox.append((ch, c, method, msg.properties, msg.body))
            self._event(
                "deliver",
                exchange=msg.exchange,
                queue=q.name,
                routing_key=msg.routing_key,
                message=msg.number,
                body=msg.body,
                channel=ch.channel_number,
                consumer_tag=c.tag,
                delivery_tag=tag,
                redelivered=msg.redelivered,
                detail=detail,
            )

    def _unblock(self, q: _Queue) -> None:
        """Consumers that have room again rejoin the ring at its back (RabbitMQ's unblock)."""
        if not q.blocked:
            return
        still = []
        for c in q.blocked:
            if c.active and c.has_room():
                q.ring.append(c)
            elif c.active:
                still.append(c)
        q.blocked = still

    def _settle(self, ch: SimChannel, entries: list[tuple[int, _Unacked]], outcome: str, why: str):
        """Ack, requeue or discard unacknowledged deliveries, then let the queues push again.

        ``outcome`` is "ack", "requeue" or "discard". Requeued messages go back to their
        original position in their queue (RabbitMQ classic queues keep it).
        """
        touched: list[_Queue] = []
        for tag, u in entries:
            del ch._unacked[tag]
            if u.consumer is not None:
                u.consumer.unacked -= 1
            q, msg = u.queue, u.message
            if q not in touched:
                touched.append(q)
            if outcome == "requeue" and not q.deleted:
                msg.redelivered = True
                heapq.heappush(q.ready, msg)
            if outcome != "ack":
                self._event(
                    outcome if not q.deleted else "discard",
                    exchange=msg.exchange,
                    queue=q.name,
                    routing_key=msg.routing_key,
                    message=msg.number,
                    body=msg.body,
                    channel=ch.channel_number,
                    delivery_tag=tag,
                    detail=why if not q.deleted else "its queue was deleted",
                )
        # the channel-wide prefetch may unblock consumers on other queues of this channel
        for c in ch._consumers.values():
            if c.queue not in touched:
                touched.append(c.queue)
        for q in touched:
            self._unblock(q)
        for q in touched:
            self._run(q)

    def _remove_consumer(self, c: _Consumer, why: str) -> None:
        c.active = False
        q = c.queue
        q.consumers.pop(c.tag, None)
        if c in q.ring:
            q.ring.remove(c)
        if c in q.blocked:
            q.blocked.remove(c)
        c.channel._consumers.pop(c.tag, None)
        self._event(
            "cancel",
            queue=q.name,
            channel=c.channel.channel_number,
            consumer_tag=c.tag,
            detail=why,
        )

    def _maybe_auto_delete(self, q: _Queue) -> None:
        if q.auto_delete and q.had_consumer and not q.consumers and not q.deleted:
            self._delete_queue(q, "auto_delete: its last consumer went away")

    def _delete_queue(self, q: _Queue, why: str) -> int:
        count = len(q.ready)
        for c in list(q.consumers.values()):
            self._remove_consumer(c, "its queue was deleted")
        q.deleted = True
        q.ready.clear()
        self._queues.pop(q.name, None)
        for x in self._exchanges.values():
            x.bindings = [(n, k) for n, k in x.bindings if n != q.name]
        self._event("queue_deleted", queue=q.name, detail=f"{why}; {count} ready messages gone")
        return count


class _Refused(Exception):
    """A channel-level refusal; the channel turns it into ChannelClosedByBroker and closes."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(code, text)
        self.code = code
        self.text = text


#: RabbitMQ's refusal of any exchange operation on the nameless default exchange.
_DEFAULT_EXCHANGE_REFUSED = "ACCESS_REFUSED - operation not permitted on the default exchange"


def _refuse_default_exchange(name: str) -> None:
    if name == "":
        raise _Refused(403, _DEFAULT_EXCHANGE_REFUSED)


Callback = Callable[["SimChannel", Deliver, BasicProperties, bytes], Any]


class SimChannel:
    """A channel of a :class:`SimQueue`, with ``pika.BlockingChannel``'s method names.

    An error the broker would answer with a channel close (404 NOT_FOUND, 406
    PRECONDITION_FAILED, 403 ACCESS_REFUSED) raises ``ChannelClosedByBroker`` and closes the
    channel, as on a real broker: its unacknowledged messages go back to their queues and
    every later call raises ``ChannelWrongStateError``.

    >>> ch = SimQueue().channel()
    >>> ch.basic_get("nope")
    Traceback (most recent call last):
    ...
    simkafka.queue.ChannelClosedByBroker: (404) NOT_FOUND - no queue 'nope' in vhost '/'
    >>> ch.is_closed
    True
    """

    def __init__(self, broker: SimQueue, number: int) -> None:
        self._broker = broker
        self.channel_number = number
        self._open = True
        self._delivery_tag = 0
        self._unacked: dict[int, _Unacked] = {}
        self._consumers: dict[str, _Consumer] = {}
        self._prefetch = 0
        self._global_prefetch = 0

    def __repr__(self) -> str:
        state = "OPEN" if self._open else "CLOSED"
        return f"<SimChannel number={self.channel_number} {state}>"

    # -- state ---------------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self._open

    @property
    def is_closed(self) -> bool:
        return not self._open

    @property
    def connection(self) -> SimQueue:
        return self._broker

    @property
    def consumer_tags(self) -> list[str]:
        return list(self._consumers)

    def _next_tag(self) -> int:
        self._delivery_tag += 1
        return self._delivery_tag

    def _consumer_unacked(self) -> int:
        return sum(1 for u in self._unacked.values() if u.consumer is not None)

    def _call(self, fn: Callable[[], Any]) -> Any:
        """Run one method: refused calls close the channel with the broker's reply."""
        self._broker._require_open()
        if not self._open:
            raise ChannelWrongStateError("Channel is closed.")
        try:
            return fn()
        except _Refused as refused:
            self._shutdown(refused.text, graceful=False, event="channel_error")
            raise ChannelClosedByBroker(refused.code, refused.text) from None

    def _shutdown(self, why: str, graceful: bool, event: str = "channel_closed") -> None:
        """Close the channel, then requeue every unacknowledged message (all at once).

        ``graceful`` (pika's ``close()``): each consumer is cancelled first as ``basic_cancel``
        does; otherwise (a crash, or the broker closing the channel) consumers just vanish and
        deliveries whose callback has not run are dropped with the client.
        """
        broker = self._broker
        consumers = list(self._consumers.values())
        for c in consumers:
            if graceful:
                self._cancel(c, why)
            else:
                broker._remove_consumer(c, why)
        broker._inbox = deque(e for e in broker._inbox if e[0] is not self)
        self._open = False
        broker._channels.pop(self.channel_number, None)
        broker._event(event, channel=self.channel_number, detail=why)
        broker._settle(self, sorted(self._unacked.items()), "requeue", why)
        for q in {c.queue.name: c.queue for c in consumers}.values():
            broker._maybe_auto_delete(q)

    def _cancel(self, c: _Consumer, why: str) -> list[Any]:
        """pika's ``basic_cancel``: a manual-ack consumer's deliveries whose callback has not run
        are rejected with requeue=True one by one *before* the cancel reaches the broker, so the
        queue may push one straight back to the same consumer; pika rejects those again when
        they arrive after the cancel. An auto-ack consumer's pending deliveries are returned."""
        broker = self._broker

        def take_pending() -> list[tuple[SimChannel, _Consumer, Deliver, BasicProperties, bytes]]:
            pending = [e for e in broker._inbox if e[1] is c]
            broker._inbox = deque(e for e in broker._inbox if e[1] is not c)
            return pending

        def reject(entries: list, detail: str) -> None:
            for _, _, method, _, _ in entries:
                u = self._unacked.get(method.delivery_tag)
                if u is not None:
                    broker._settle(self, [(method.delivery_tag, u)], "requeue", detail)

        if c.auto_ack:
            broker._remove_consumer(c, why)
            return [(m, p, b) for _, _, m, p, b in take_pending()]
        reject(take_pending(), "rejected by the client: callback not run before cancel")
        broker._remove_consumer(c, why)
        reject(take_pending(), "rejected by the client: delivered after cancel")
        return []

    def close(self, reply_code: int = 0, reply_text: str = "Normal shutdown") -> None:
        """Close the channel; unacknowledged messages go back to their queues."""
        self._broker._require_open()
        if not self._open:
            raise ChannelWrongStateError("Channel is closed.")
        self._shutdown(f"closed ({reply_code}) {reply_text}", graceful=True)

    def crash(self) -> None:
        """The consumer process dies: no more callbacks, nothing acknowledged. The broker sees
        the channel go and requeues its unacknowledged messages, all at once.
        Deliveries made with ``auto_ack=True`` are lost: the broker forgot them on delivery."""
        self._broker._require_open()
        if not self._open:
            raise ChannelWrongStateError("Channel is closed.")
        self._shutdown(f"channel {self.channel_number} crashed", False, "channel_crashed")

    # -- exchanges -------------------------------------------------------------------------------
    def exchange_declare(
        self,
        exchange: str,
        exchange_type: str = "direct",
        passive: bool = False,
        durable: bool = False,
        auto_delete: bool = False,
        internal: bool = False,
        arguments: dict[str, Any] | None = None,
    ) -> Method[None]:
        """Declare an exchange: ``direct``, ``fanout`` or ``topic``.

        Redeclaring with the same type and flags is a no-op; different ones are refused (406).

        >>> ch = SimQueue().channel()
        >>> _ = ch.exchange_declare("logs", exchange_type="fanout")
        >>> ch.exchange_declare("logs", exchange_type="direct")
        Traceback (most recent call last):
        ...
        simkafka.queue.ChannelClosedByBroker: (406) PRECONDITION_FAILED - inequivalent arg 'type' for exchange 'logs' in vhost '/': received 'direct' but current is 'fanout'
        """
        kind = str(getattr(exchange_type, "value", exchange_type))

        def run() -> Method[None]:
            broker = self._broker
            if passive:
                broker._exchange(exchange)
                return Method(self.channel_number, None)
            if kind not in EXCHANGE_TYPES:
                text = f"COMMAND_INVALID - unknown exchange type '{kind}'"
                if kind == "headers":
                    text = "SimQueue models direct, fanout and topic exchanges, not headers"
                    raise NotImplementedError(text)
                broker.close()
                raise ConnectionClosedByBroker(503, text)
            _refuse_default_exchange(exchange)
            x = broker._exchanges.get(exchange)
            if x is None:
                if exchange.startswith("amq."):
                    raise _Refused(
                        403,
                        f"ACCESS_REFUSED - exchange name '{exchange}' contains reserved prefix 'amq.*'",
                    )
                x = _Exchange(exchange, kind, durable, auto_delete, internal)
                broker._exchanges[exchange] = x
                broker._event("exchange_declared", exchange=exchange, detail=kind)
            for arg, got, now in (
                ("type", kind, x.type),
                ("durable", durable, x.durable),
                ("auto_delete", auto_delete, x.auto_delete),
                ("internal", internal, x.internal),
            ):
                if got != now:
                    raise _Refused(406, _inequivalent(arg, "exchange", exchange, got, now))
            return Method(self.channel_number, None)

        return self._call(run)

    def exchange_delete(self, exchange: str | None = None, if_unused: bool = False) -> Method[None]:
        """Delete an exchange and its bindings (deleting a missing one is not an error)."""

        def run() -> Method[None]:
            broker = self._broker
            name = exchange or ""
            if name == "" or name.startswith("amq."):
                raise _Refused(
                    403,
                    _DEFAULT_EXCHANGE_REFUSED
                    if name == ""
                    else f"ACCESS_REFUSED - exchange name '{name}' contains reserved prefix 'amq.*'",
                )
            x = broker._exchanges.get(name)
            if x is not None:
                if if_unused and x.bindings:
                    raise _Refused(
                        406, f"PRECONDITION_FAILED - exchange '{name}' in vhost '{VHOST}' in use"
                    )
                del broker._exchanges[name]
                broker._event("exchange_deleted", exchange=name)
            return Method(self.channel_number, None)

        return self._call(run)

    # -- queues --------------------------------------------------------------------------------------
    def queue_declare(
        self,
        queue: str = "",
        passive: bool = False,
        durable: bool = False,
        exclusive: bool = False,
        auto_delete: bool = False,
        arguments: dict[str, Any] | None = None,
    ) -> Method[DeclareOk]:
        """Declare a queue; ``queue=""`` asks the broker for a name ("amq.gen-...").

        The reply counts the ready messages (not those delivered and unacknowledged).

        >>> ch = SimQueue(seed=3).channel()
        >>> ch.queue_declare("", exclusive=True).method
        DeclareOk(queue='amq.gen-IWNjaYtSm0qXt1CSPOs__Q', message_count=0, consumer_count=0)
        """

        def run() -> Method[DeclareOk]:
            broker = self._broker
            if passive:
                q = broker._queue(queue)
            else:
                name = queue or broker._server_queue_name()
                q = broker._queues.get(name)
                if q is None:
                    if name.startswith("amq.") and queue:
                        raise _Refused(
                            403,
                            f"ACCESS_REFUSED - queue name '{name}' contains reserved prefix 'amq.*'",
                        )
                    q = _Queue(name, durable, exclusive, auto_delete)
                    broker._queues[name] = q
                    flags = [
                        f
                        for f, on in (
                            ("durable", durable),
                            ("exclusive", exclusive),
                            ("auto_delete", auto_delete),
                        )
                        if on
                    ]
                    broker._event("queue_declared", queue=name, detail=" ".join(flags))
                for arg, got, now in (
                    ("durable", durable, q.durable),
                    ("auto_delete", auto_delete, q.auto_delete),
                ):
                    if got != now:
                        raise _Refused(406, _inequivalent(arg, "queue", name, got, now))
            return Method(self.channel_number, DeclareOk(q.name, len(q.ready), len(q.consumers)))

        return self._call(run)

    def queue_bind(
        self,
        queue: str,
        exchange: str,
        routing_key: str | None = None,
        arguments: dict[str, Any] | None = None,
    ) -> Method[None]:
        """Bind a queue to an exchange with a binding key (pika's default: the queue's name)."""
        key = queue if routing_key is None else routing_key

        def run() -> Method[None]:
            broker = self._broker
            _refuse_default_exchange(exchange)
            q = broker._queue(queue)
            x = broker._exchange(exchange)
            if (q.name, key) not in x.bindings:
                x.bindings.append((q.name, key))
                broker._event(
                    "bind", exchange=exchange, queue=queue, routing_key=key, detail=x.type
                )
            return Method(self.channel_number, None)

        return self._call(run)

    def queue_unbind(
        self,
        queue: str,
        exchange: str | None = None,
        routing_key: str | None = None,
        arguments: dict[str, Any] | None = None,
    ) -> Method[None]:
        """Remove one binding (removing a missing binding is not an error)."""
        key = queue if routing_key is None else routing_key

        def run() -> Method[None]:
            broker = self._broker
            name = exchange or ""
            _refuse_default_exchange(name)
            broker._queue(queue)
            x = broker._exchange(name)
            if (queue, key) in x.bindings:
                x.bindings.remove((queue, key))
                broker._event("unbind", exchange=name, queue=queue, routing_key=key)
            return Method(self.channel_number, None)

        return self._call(run)

    def queue_purge(self, queue: str) -> Method[PurgeOk]:
        """Remove every ready message (delivered, unacknowledged ones stay with their consumer)."""

        def run() -> Method[PurgeOk]:
            q = self._broker._queue(queue)
            count = len(q.ready)
            q.ready.clear()
            self._broker._event("purge", queue=queue, detail=f"{count} ready messages removed")
            return Method(self.channel_number, PurgeOk(count))

        return self._call(run)

    def queue_delete(
        self, queue: str, if_unused: bool = False, if_empty: bool = False
    ) -> Method[DeleteOk]:
        """Delete a queue with its ready messages and bindings; its consumers are cancelled.

        Deleting a queue that does not exist is not an error (RabbitMQ 3.x answers DeleteOk).
        """

        def run() -> Method[DeleteOk]:
            broker = self._broker
            q = broker._queues.get(queue)
            if q is None:
                return Method(self.channel_number, DeleteOk(0))
            if if_unused and q.consumers:
                raise _Refused(
                    406, f"PRECONDITION_FAILED - queue '{queue}' in vhost '{VHOST}' in use"
                )
            if if_empty and q.ready:
                raise _Refused(
                    406, f"PRECONDITION_FAILED - queue '{queue}' in vhost '{VHOST}' is not empty"
                )
            return Method(self.channel_number, DeleteOk(broker._delete_queue(q, "deleted")))

        return self._call(run)

    # -- publishing --------------------------------------------------------------------------------
    def basic_publish(
        self,
        exchange: str,
        routing_key: str,
        body: bytes | str,
        properties: BasicProperties | None = None,
        mandatory: bool = False,
    ) -> None:
        """Publish a message; the exchange copies it into every queue it routes to.

        The default exchange ``""`` routes to the queue named by ``routing_key``. A message
        that matches no queue is dropped, or with ``mandatory=True`` raises UnroutableError.
        """
        data = body.encode() if isinstance(body, str) else bytes(body)
        props = properties if properties is not None else BasicProperties()

        def run() -> None:
            broker = self._broker
            x = broker._exchange(exchange)
            broker._published += 1
            number = broker._published
            broker._event(
                "publish",
                exchange=exchange,
                routing_key=routing_key,
                message=number,
                body=data,
                channel=self.channel_number,
            )
            targets = broker._route(x, routing_key)
            if not targets:
                broker._event(
                    "unroutable",
                    exchange=exchange,
                    routing_key=routing_key,
                    message=number,
                    body=data,
                    detail="returned to the publisher" if mandatory else "dropped",
                )
                if mandatory:
                    raise UnroutableError([(exchange, routing_key, data)])
                return
            for q in targets:
                broker._enqueue(q, number, exchange, routing_key, data, props)
            for q in targets:
                broker._run(q)

        self._call(run)

    # -- consuming ---------------------------------------------------------------------------------
    def basic_qos(
        self, prefetch_size: int = 0, prefetch_count: int = 0, global_qos: bool = False
    ) -> None:
        """Limit unacknowledged deliveries: per consumer for consumers started after this call
        (RabbitMQ's meaning of ``global_qos=False``), or shared by the channel (``True``).
        0 means no limit."""

        def run() -> None:
            if prefetch_count < 0:
                raise ValueError("prefetch_count must be 0 (no limit) or more")
            if global_qos:
                self._global_prefetch = prefetch_count
                for c in list(self._consumers.values()):
                    self._broker._unblock(c.queue)
                    self._broker._run(c.queue)
            else:
                self._prefetch = prefetch_count

        self._call(run)

    def basic_consume(
        self,
        queue: str,
        on_message_callback: Callback,
        auto_ack: bool = False,
        exclusive: bool = False,
        consumer_tag: str | None = None,
        arguments: dict[str, Any] | None = None,
    ) -> str:
        """Start a consumer; returns its tag. The queue pushes it messages at once (up to its
        prefetch); ``on_message_callback(channel, method, properties, body)`` runs when
        ``process_data_events()`` or ``start_consuming()`` is called."""
        if not callable(on_message_callback):
            raise ValueError("callback on_message_callback must be callable; got None")

        def run() -> str:
            broker = self._broker
            q = broker._queue(queue)
            if q.consumers and (exclusive or any(c.exclusive for c in q.consumers.values())):
                raise _Refused(
                    403, f"ACCESS_REFUSED - queue '{queue}' in vhost '{VHOST}' in exclusive use"
                )
            tag = consumer_tag or f"ctag{self.channel_number}.{broker.rng.getrandbits(128):032x}"
            c = _Consumer(tag, self, q, on_message_callback, auto_ack, self._prefetch, exclusive)
            q.consumers[tag] = c
            q.had_consumer = True
            q.ring.append(c)
            self._consumers[tag] = c
            broker._event(
                "consume",
                queue=queue,
                channel=self.channel_number,
                consumer_tag=tag,
                detail=f"prefetch={self._prefetch} auto_ack={auto_ack}",
            )
            broker._run(q)
            return tag

        return self._call(run)

    def basic_cancel(self, consumer_tag: str) -> list[Any]:
        """Stop a consumer. As pika does for a manual-ack consumer, deliveries whose callback has
        not run yet are rejected with requeue=True (see ``_cancel``); those whose callback ran
        stay unacknowledged on this channel. An auto-ack consumer's pending ones are returned."""

        def run() -> list[Any]:
            c = self._consumers.get(consumer_tag)
            if c is None:
                return []
            returned = self._cancel(c, "cancelled")
            self._broker._maybe_auto_delete(c.queue)
            return returned

        return self._call(run)

    def start_consuming(self, max_messages: int | None = None) -> int:
        """Run waiting callbacks of every channel until none wait; returns how many ran.

        pika's ``start_consuming()`` blocks until the consumers are cancelled; a simulated
        consumer stops when nothing is left to deliver (or after ``max_messages``)."""
        self._broker._require_open()
        if not self._open:
            raise ChannelWrongStateError("Channel is closed.")
        return self._broker.process_data_events(max_messages=max_messages)

    def stop_consuming(self, consumer_tag: str | None = None) -> None:
        """Cancel this channel's consumers (or one), as pika's ``stop_consuming``."""
        for tag in [consumer_tag] if consumer_tag else list(self._consumers):
            self.basic_cancel(tag)

    def basic_get(
        self, queue: str, auto_ack: bool = False
    ) -> tuple[GetOk, BasicProperties, bytes] | tuple[None, None, None]:
        """Take the message at the head of the queue, or ``(None, None, None)`` if none is ready.

        Polling ignores prefetch; ``method.message_count`` is how many are still ready.
        """

        def run() -> tuple[GetOk, BasicProperties, bytes] | tuple[None, None, None]:
            broker = self._broker
            q = broker._queue(queue)
            if not q.ready:
                broker._event("get", queue=queue, channel=self.channel_number, detail="empty")
                return None, None, None
            msg = heapq.heappop(q.ready)
            tag = self._next_tag()
            if not auto_ack:
                self._unacked[tag] = _Unacked(q, msg, None)
            broker._event(
                "get",
                exchange=msg.exchange,
                queue=queue,
                routing_key=msg.routing_key,
                message=msg.number,
                body=msg.body,
                channel=self.channel_number,
                delivery_tag=tag,
                redelivered=msg.redelivered,
                detail="auto_ack" if auto_ack else "",
            )
            method = GetOk(tag, msg.redelivered, msg.exchange, msg.routing_key, len(q.ready))
            return method, msg.properties, msg.body

        return self._call(run)

    # -- acknowledgements ----------------------------------------------------------------------------
    def _take(self, delivery_tag: int, multiple: bool) -> list[tuple[int, _Unacked]]:
        """The deliveries an ack/nack names; as RabbitMQ, the tag itself must be unacknowledged,
        except ``multiple`` with tag 0, which means every unacknowledged delivery."""
        if multiple and delivery_tag == 0:
            return sorted(self._unacked.items())
        if delivery_tag not in self._unacked:
            raise _Refused(406, f"PRECONDITION_FAILED - unknown delivery tag {delivery_tag}")
        if not multiple:
            return [(delivery_tag, self._unacked[delivery_tag])]
        return sorted((t, u) for t, u in self._unacked.items() if t <= delivery_tag)

    def basic_ack(self, delivery_tag: int = 0, multiple: bool = False) -> None:
        """Acknowledge a delivery (all up to ``delivery_tag`` with ``multiple``): the message is
        removed from the queue for good. An unknown tag closes the channel (406)."""

        def run() -> None:
            entries = self._take(delivery_tag, multiple)
            for tag, u in entries:
                self._broker._event(
                    "ack",
                    queue=u.queue.name,
                    message=u.message.number,
                    body=u.message.body,
                    channel=self.channel_number,
                    consumer_tag=u.consumer.tag if u.consumer else None,
                    delivery_tag=tag,
                )
            self._broker._settle(self, entries, "ack", "acknowledged")

        self._call(run)

    def basic_nack(
        self, delivery_tag: int = 0, multiple: bool = False, requeue: bool = True
    ) -> None:
        """Negatively acknowledge: requeue (to the original position, marked redelivered) or,
        with ``requeue=False``, discard (no dead-lettering is modelled)."""
        self._negative("nack", delivery_tag, multiple, requeue)

    def basic_reject(self, delivery_tag: int = 0, requeue: bool = True) -> None:
        """Reject one delivery: requeue it or, with ``requeue=False``, discard it."""
        self._negative("reject", delivery_tag, False, requeue)

    def _negative(self, kind: str, delivery_tag: int, multiple: bool, requeue: bool) -> None:
        def run() -> None:
            entries = self._take(delivery_tag, multiple)
            for tag, u in entries:
                self._broker._event(
                    kind,
                    queue=u.queue.name,
                    message=u.message.number,
                    channel=self.channel_number,
                    consumer_tag=u.consumer.tag if u.consumer else None,
                    delivery_tag=tag,
                    detail=f"requeue={requeue}",
                )
            outcome = "requeue" if requeue else "discard"
            self._broker._settle(self, entries, outcome, f"basic_{kind}")

        self._call(run)


def _inequivalent(arg: str, kind: str, name: str, got: object, now: object) -> str:
    def amqp(v: object) -> str:
        return str(v).lower() if isinstance(v, bool) else str(v)

    return (
        f"PRECONDITION_FAILED - inequivalent arg '{arg}' for {kind} '{name}' in vhost "
        f"'{VHOST}': received '{amqp(got)}' but current is '{amqp(now)}'"
    )


def topic_table(bindings: Iterable[str], keys: Iterable[str]) -> dict[str, list[str]]:
    """For each routing key, the binding keys a topic exchange matches it with.

    >>> topic_table(["#", "a.*", "a.#.b"], ["a.b", "a", ""])
    {'a.b': ['#', 'a.*', 'a.#.b'], 'a': ['#'], '': ['#']}
    """
    binds = list(bindings)
    return {k: [b for b in binds if topic_matches(b, k)] for k in keys}
