"""RealQueue: the same shape as :class:`simkafka.queue.SimQueue`, over pika and a real RabbitMQ.

Every experiment that takes a ``SimQueue`` also takes a ``RealQueue``: ``channel()`` returns a
channel with the same methods, results and exceptions (the classes of ``simkafka.queue``, with
pika's names). Differences that matter on a real broker are handled here:

- Names are unique per run: ``queue_declare("tasks")`` declares ``simkafka-<run>-tasks`` on the
  broker, and every name in results, deliveries and error texts is given back without the
  prefix. Server-named queues (``amq.gen-...``) keep their name. ``close()`` (or leaving the
  ``with`` block) deletes every queue and exchange this object declared.
- Channels are in publisher-confirm mode, so ``basic_publish`` returns once the broker has
  routed and enqueued the message: a count read right after it is exact, and a missing
  exchange fails on the publish itself (as in the simulator).
- Callbacks run in ``process_data_events()``, which returns once nothing has arrived for
  ``quiet`` seconds, after ``max_messages`` callbacks, or after ``time_limit`` seconds.
- Connecting is bounded (one attempt, ``socket_timeout`` and ``stack_timeout``); a broker that
  is not running is one line, within a few seconds.

pika is imported when a ``RealQueue`` is made, never at import time.
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .queue import (
    AMQPConnectionError,
    BasicProperties,
    ChannelClosedByBroker,
    ChannelClosedByClient,
    ChannelWrongStateError,
    ConnectionClosedByBroker,
    ConnectionWrongStateError,
    DeclareOk,
    DeleteOk,
    Deliver,
    GetOk,
    Method,
    PurgeOk,
    UnroutableError,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DEFAULT_URL", "RealChannel", "RealQueue"]

DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"

#: Acks, nacks and rejects are asynchronous in AMQP, and RabbitMQ answers a queue.declare's
#: count with priority over them; a count read within this time after one waits first.
SETTLE_SECONDS = 0.03

_PROPERTY_NAMES = tuple(BasicProperties.__dataclass_fields__)


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or '127.0.0.1'}:{parts.port or 5672}"


def _unreachable(url: str) -> str:
    return (
        f"RabbitMQ is not reachable at {_where(url)} - start it with `make brokers-up` "
        "(or `docker compose up -d`)"
    )


class RealQueue:
    """A connection to a real RabbitMQ, shaped like :class:`simkafka.queue.SimQueue`.

    >>> from simkafka.brokers import rabbitmq_available, rabbitmq_url
    >>> if rabbitmq_available():
    ...     with RealQueue(rabbitmq_url()) as mq:
    ...         ch = mq.channel()
    ...         _ = ch.queue_declare("tasks")
    ...         ch.basic_publish("", "tasks", b"resize img-1")
    ...         method, _, body = ch.basic_get("tasks")
    ...         ch.basic_ack(method.delivery_tag)
    ...         print(body, ch.queue_declare("tasks", passive=True).method.message_count)
    ... else:
    ...     print(b"resize img-1", 0)
    b'resize img-1' 0
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        socket_timeout: float = 2.0,
        stack_timeout: float = 5.0,
        blocked_connection_timeout: float = 10.0,
        heartbeat: int = 60,
    ) -> None:
        import pika
        import pika.exceptions

        self.url = url or DEFAULT_URL
        self.prefix = f"simkafka-{uuid.uuid4().hex[:8]}-"
        self._pika = pika
        params = pika.URLParameters(self.url)
        params.connection_attempts = 1
        params.retry_delay = 0
        params.socket_timeout = socket_timeout
        params.stack_timeout = stack_timeout
        params.blocked_connection_timeout = blocked_connection_timeout
        params.heartbeat = heartbeat
        self._params = params
        refused = (
            pika.exceptions.ProbableAuthenticationError,
            pika.exceptions.ProbableAccessDeniedError,
            pika.exceptions.ConnectionClosedByBroker,
        )
        try:
            self._conn = pika.BlockingConnection(params)
        except refused as exc:
            # The broker answered: the user name, password or vhost in the URL is wrong.
            raise AMQPConnectionError(
                f"RabbitMQ at {_where(self.url)} refused the connection ({exc}): check the "
                "user name, password and vhost in the URL (the course's broker: "
                "amqp://guest:guest@127.0.0.1:5672/%2F)"
            ) from None
        except pika.exceptions.AMQPConnectionError:
            raise AMQPConnectionError(_unreachable(self.url)) from None
        self._channels: list[RealChannel] = []
        self._queues: list[str] = []  # wire names, in declaration order
        self._exchanges: list[str] = []
        # deliveries that reached the client but wait for their callback (max_messages)
        self._held: deque[tuple[RealChannel, str, Deliver, BasicProperties, bytes]] = deque()
        self._budget: int | None = None
        self._ran = 0
        self._callbacks: dict[str, Callable[..., Any]] = {}
        self._settled_at = 0.0  # when the last ack/nack/reject has surely reached its queue

    # -- names ------------------------------------------------------------------------------------
    def wire(self, name: str) -> str:
        """The broker's name for a user's queue or exchange name (``""`` and ``amq.*`` as is)."""
        if not name or name.startswith("amq."):
            return name
        return self.prefix + name

    def user(self, name: str) -> str:
        """The user's name for a broker name."""
        return name[len(self.prefix) :] if name.startswith(self.prefix) else name

    # -- the connection -----------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return bool(self._conn.is_open)

    @property
    def is_closed(self) -> bool:
        return not self.is_open

    def channel(self, channel_number: int | None = None) -> RealChannel:
        """Open a channel (in publisher-confirm mode)."""
        with self._translate():
            ch = RealChannel(self, self._conn.channel(channel_number))
        self._channels.append(ch)
        return ch

    def process_data_events(
        self,
        time_limit: float | None = 2.0,
        max_messages: int | None = None,
        quiet: float = 0.2,
    ) -> int:
        """Run consumer callbacks as deliveries arrive; returns how many ran.

        Stops after ``max_messages`` callbacks, once nothing arrived for ``quiet`` seconds, or
        after ``time_limit`` seconds (None: 60 s at most).
        """
        limit = 60.0 if time_limit is None else time_limit
        start = last = time.monotonic()
        ran_before = self._ran
        self._budget = max_messages
        try:
            with self._translate():
                while True:
                    before = self._ran
                    self._run_held()
                    if self._budget != 0:
                        self._conn.process_data_events(time_limit=0.02)
                    now = time.monotonic()
                    if self._ran != before:
                        last = now
                    if self._budget == 0 or now - last >= quiet or now - start >= limit:
                        break
        finally:
            self._budget = None
        return self._ran - ran_before

    def sleep(self, duration: float) -> None:
        """Process events (and run callbacks) for ``duration`` seconds."""
        with self._translate():
            self._conn.sleep(duration)

    def _run_held(self) -> None:
        while self._held and self._budget != 0:
            ch, tag, method, props, body = self._held.popleft()
            cb = self._callbacks.get(tag)
            if cb is None or not ch.is_open:
                continue
            self._count_one()
            cb(ch, method, props, body)

    def _count_one(self) -> None:
        self._ran += 1
        if self._budget is not None:
            self._budget -= 1

    def _on_delivery(self, ch: RealChannel, user_cb: Callable[..., Any]) -> Callable[..., None]:
        def on_message(_impl: Any, method: Any, properties: Any, body: bytes) -> None:
            deliver = Deliver(
                method.consumer_tag,
                method.delivery_tag,
                bool(method.redelivered),
                self.user(method.exchange),
                self.user(method.routing_key) if method.exchange == "" else method.routing_key,
            )
            props = _properties_from_pika(properties)
            if self._budget == 0 or self._held:
                self._held.append((ch, method.consumer_tag, deliver, props, body))
                return
            self._count_one()
            user_cb(ch, deliver, props, body)

        return on_message

    # -- errors --------------------------------------------------------------------------------------
    @contextmanager
    def _translate(self) -> Iterator[None]:
        """pika's exceptions become simkafka.queue's (same names), with user names in texts."""
        exc = self._pika.exceptions
        try:
            yield
        except exc.ChannelClosedByBroker as e:
            raise ChannelClosedByBroker(e.reply_code, self._strip(e.reply_text)) from None
        except exc.ChannelClosedByClient as e:
            raise ChannelClosedByClient(e.reply_code, self._strip(e.reply_text)) from None
        except exc.ChannelWrongStateError:
            raise ChannelWrongStateError("Channel is closed.") from None
        except exc.UnroutableError as e:
            raise UnroutableError(list(e.messages)) from None
        except exc.ConnectionClosedByBroker as e:
            raise ConnectionClosedByBroker(e.reply_code, self._strip(e.reply_text)) from None
        except exc.ConnectionWrongStateError:
            raise ConnectionWrongStateError("Connection is closed.") from None
        except exc.AMQPConnectionError as e:
            raise AMQPConnectionError(
                f"the connection to RabbitMQ was lost ({type(e).__name__}); open a new RealQueue"
            ) from None

    def _acked(self) -> None:
        self._settled_at = time.monotonic() + SETTLE_SECONDS

    def _wait_for_settlements(self) -> None:
        wait = self._settled_at - time.monotonic()
        if wait > 0:
            time.sleep(wait)

    def _strip(self, text: str) -> str:
        return str(text).replace(self.prefix, "")

    # -- clean-up -------------------------------------------------------------------------------------
    def close(self) -> None:
        """Delete every queue and exchange this object declared, then close the connection."""
        if self._conn.is_open:
            try:
                for ch in self._channels:
                    if ch.is_open:
                        ch._ch.close()
                scratch = self._conn.channel()
                for q in self._queues:
                    scratch.queue_delete(q)
                for x in self._exchanges:
                    scratch.exchange_delete(x)
            finally:
                self._conn.close()
        else:
            self._cleanup_with_new_connection()
        self._queues.clear()
        self._exchanges.clear()
        self._held.clear()

    def _cleanup_with_new_connection(self) -> None:
        if not (self._queues or self._exchanges):
            return
        try:
            conn = self._pika.BlockingConnection(self._params)
        except self._pika.exceptions.AMQPConnectionError:
            return
        try:
            scratch = conn.channel()
            for q in self._queues:
                if not q.startswith("amq.gen-"):
                    scratch.queue_delete(q)
            for x in self._exchanges:
                scratch.exchange_delete(x)
        finally:
            conn.close()

    def __enter__(self) -> RealQueue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def queues(self) -> pd.DataFrame:
        """One row per queue this object declared: ready messages and consumers (from a passive
        declare; the broker does not tell AMQP clients how many are unacknowledged)."""
        import pandas as pd

        rows = []
        scratch = self._conn.channel()
        for q in self._queues:
            try:
                ok = scratch.queue_declare(q, passive=True).method
            except self._pika.exceptions.ChannelClosedByBroker:
                scratch = self._conn.channel()
                continue
            rows.append((self.user(q), ok.message_count, pd.NA, ok.consumer_count))
        scratch.close()
        return pd.DataFrame(rows, columns=["queue", "ready", "unacked", "consumers"])


def _properties_from_pika(p: Any) -> BasicProperties:
    if p is None:
        return BasicProperties()
    return BasicProperties(**{n: getattr(p, n, None) for n in _PROPERTY_NAMES})


class RealChannel:
    """A pika ``BlockingChannel`` with the methods, results and errors of ``SimChannel``."""

    def __init__(self, owner: RealQueue, ch: Any) -> None:
        self._owner = owner
        self._ch = ch
        with owner._translate():
            ch.confirm_delivery()

    def __repr__(self) -> str:
        state = "OPEN" if self.is_open else "CLOSED"
        return f"<RealChannel number={self.channel_number} {state}>"

    @property
    def channel_number(self) -> int:
        return int(self._ch.channel_number)

    @property
    def is_open(self) -> bool:
        return bool(self._ch.is_open)

    @property
    def is_closed(self) -> bool:
        return not self.is_open

    @property
    def connection(self) -> RealQueue:
        return self._owner

    @property
    def consumer_tags(self) -> list[str]:
        return list(self._ch.consumer_tags)

    def _wire(self, name: str) -> str:
        return self._owner.wire(name)

    # -- closing ----------------------------------------------------------------------------------
    def close(self, reply_code: int = 0, reply_text: str = "Normal shutdown") -> None:
        """Close the channel (pika rejects deliveries whose callback has not run, then the broker
        requeues every unacknowledged message)."""
        o = self._owner
        with o._translate():
            self._ch.close(reply_code, reply_text)
        self._drop_held()

    def crash(self) -> None:
        """Stop as a crashed consumer would: no more callbacks, nothing acknowledged or rejected.

        The channel is closed below pika's BlockingChannel (which would first reject pending
        deliveries one by one), so the broker requeues all unacknowledged messages at once.
        """
        o = self._owner
        if not self._ch.is_open:
            raise ChannelWrongStateError("Channel is closed.")
        self._drop_held()
        with o._translate():
            try:
                self._ch._impl.close(0, "crash")
                self._ch._flush_output(lambda: self._ch.is_closed)
            finally:
                self._ch._cleanup()

    def _drop_held(self) -> None:
        o = self._owner
        o._held = deque(e for e in o._held if e[0] is not self)

    # -- exchanges and queues -----------------------------------------------------------------------
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
        wire = self._wire(exchange)
        kind = str(getattr(exchange_type, "value", exchange_type))
        with self._owner._translate():
            self._ch.exchange_declare(
                wire, kind, passive, durable, auto_delete, internal, arguments
            )
        if not passive and wire and wire not in self._owner._exchanges:
            self._owner._exchanges.append(wire)
        return Method(self.channel_number, None)

    def exchange_delete(self, exchange: str | None = None, if_unused: bool = False) -> Method[None]:
        with self._owner._translate():
            self._ch.exchange_delete(self._wire(exchange or ""), if_unused)
        return Method(self.channel_number, None)

    def queue_declare(
        self,
        queue: str = "",
        passive: bool = False,
        durable: bool = False,
        exclusive: bool = False,
        auto_delete: bool = False,
        arguments: dict[str, Any] | None = None,
    ) -> Method[DeclareOk]:
        self._owner._wait_for_settlements()
        with self._owner._translate():
            ok = self._ch.queue_declare(
                self._wire(queue), passive, durable, exclusive, auto_delete, arguments
            ).method
        if not passive and ok.queue not in self._owner._queues:
            self._owner._queues.append(ok.queue)
        return Method(
            self.channel_number,
            DeclareOk(self._owner.user(ok.queue), ok.message_count, ok.consumer_count),
        )

    def queue_bind(
        self,
        queue: str,
        exchange: str,
        routing_key: str | None = None,
        arguments: dict[str, Any] | None = None,
    ) -> Method[None]:
        key = queue if routing_key is None else routing_key
        with self._owner._translate():
            self._ch.queue_bind(self._wire(queue), self._wire(exchange), key, arguments)
        return Method(self.channel_number, None)

    def queue_unbind(
        self,
        queue: str,
        exchange: str | None = None,
        routing_key: str | None = None,
        arguments: dict[str, Any] | None = None,
    ) -> Method[None]:
        key = queue if routing_key is None else routing_key
        with self._owner._translate():
            self._ch.queue_unbind(self._wire(queue), self._wire(exchange or ""), key, arguments)
        return Method(self.channel_number, None)

    def queue_purge(self, queue: str) -> Method[PurgeOk]:
        with self._owner._translate():
            ok = self._ch.queue_purge(self._wire(queue)).method
        return Method(self.channel_number, PurgeOk(ok.message_count))

    def queue_delete(
        self, queue: str, if_unused: bool = False, if_empty: bool = False
    ) -> Method[DeleteOk]:
        with self._owner._translate():
            ok = self._ch.queue_delete(self._wire(queue), if_unused, if_empty).method
        return Method(self.channel_number, DeleteOk(ok.message_count))

    # -- publishing and consuming -----------------------------------------------------------------------
    def basic_publish(
        self,
        exchange: str,
        routing_key: str,
        body: bytes | str,
        properties: BasicProperties | None = None,
        mandatory: bool = False,
    ) -> None:
        pika = self._owner._pika
        props = None
        if properties is not None:
            fields = {n: getattr(properties, n) for n in _PROPERTY_NAMES}
            props = pika.BasicProperties(**{k: v for k, v in fields.items() if v is not None})
        key = self._wire(routing_key) if exchange == "" else routing_key
        with self._owner._translate():
            self._ch.basic_publish(self._wire(exchange), key, body, props, mandatory)

    def basic_qos(
        self, prefetch_size: int = 0, prefetch_count: int = 0, global_qos: bool = False
    ) -> None:
        with self._owner._translate():
            self._ch.basic_qos(prefetch_size, prefetch_count, global_qos)

    def basic_consume(
        self,
        queue: str,
        on_message_callback: Callable[..., Any],
        auto_ack: bool = False,
        exclusive: bool = False,
        consumer_tag: str | None = None,
        arguments: dict[str, Any] | None = None,
    ) -> str:
        o = self._owner
        with o._translate():
            tag = self._ch.basic_consume(
                self._wire(queue),
                o._on_delivery(self, on_message_callback),
                auto_ack,
                exclusive,
                consumer_tag,
                arguments,
            )
        o._callbacks[tag] = on_message_callback
        return tag

    def basic_cancel(self, consumer_tag: str) -> list[Any]:
        o = self._owner
        held = [e for e in o._held if e[1] == consumer_tag]
        o._held = deque(e for e in o._held if e[1] != consumer_tag)
        with o._translate():
            for _, _, method, _, _ in held:  # as pika does for its own pending deliveries
                self._ch._impl.basic_reject(method.delivery_tag, requeue=True)
            returned = self._ch.basic_cancel(consumer_tag)
        o._callbacks.pop(consumer_tag, None)
        return [
            (
                Deliver(
                    m.consumer_tag,
                    m.delivery_tag,
                    bool(m.redelivered),
                    o.user(m.exchange),
                    m.routing_key,
                ),
                _properties_from_pika(p),
                b,
            )
            for m, p, b in returned
        ]

    def start_consuming(self, max_messages: int | None = None, time_limit: float = 2.0) -> int:
        """Run callbacks until ``max_messages`` ran or deliveries stop (see process_data_events)."""
        if not self.is_open:
            raise ChannelWrongStateError("Channel is closed.")
        return self._owner.process_data_events(time_limit=time_limit, max_messages=max_messages)

    def stop_consuming(self, consumer_tag: str | None = None) -> None:
        for tag in [consumer_tag] if consumer_tag else self.consumer_tags:
            self.basic_cancel(tag)

    def basic_get(
        self, queue: str, auto_ack: bool = False
    ) -> tuple[GetOk, BasicProperties, bytes] | tuple[None, None, None]:
        o = self._owner
        with o._translate():
            method, props, body = self._ch.basic_get(self._wire(queue), auto_ack)
        if method is None:
            return None, None, None
        get_ok = GetOk(
            method.delivery_tag,
            bool(method.redelivered),
            o.user(method.exchange),
            o.user(method.routing_key) if method.exchange == "" else method.routing_key,
            method.message_count,
        )
        return get_ok, _properties_from_pika(props), body

    def basic_ack(self, delivery_tag: int = 0, multiple: bool = False) -> None:
        """Acknowledge. The broker answers an unknown tag by closing the channel, which pika
        reports on the channel's next synchronous call (the simulator raises at once)."""
        with self._owner._translate():
            self._ch.basic_ack(delivery_tag, multiple)
        self._owner._acked()

    def basic_nack(
        self, delivery_tag: int = 0, multiple: bool = False, requeue: bool = True
    ) -> None:
        with self._owner._translate():
            self._ch.basic_nack(delivery_tag, multiple, requeue)
        self._owner._acked()

    def basic_reject(self, delivery_tag: int = 0, requeue: bool = True) -> None:
        with self._owner._translate():
            self._ch.basic_reject(delivery_tag, requeue)
        self._owner._acked()
