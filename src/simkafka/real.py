"""RealCluster: the real-broker twin of SimCluster, over kafka-python 3.x.

An experiment written against ``SimCluster``'s factories (``admin()``, ``producer(**config)``,
``consumer(*topics, **config)``, ``settle``, ``advance``) runs unchanged on a real Kafka
(an example, not a doctest: it needs a broker; tests/test_real_cluster.py runs the same)::

    with RealCluster() as cluster:
        topic = cluster.topic_name("user-accounts")  # simkafka-user-accounts-1a2b3c4d
        cluster.admin().create_topics([NewTopic(topic, 3, 1)])
        cluster.producer().send(topic, key=b"acct-42", value=b"created").get().partition  # 0

The clients are thin wrappers: they accept simkafka's ``NewTopic``, ``NewPartitions``,
``TopicPartition`` and ``OffsetAndMetadata`` where kafka-python insists on its own types,
bound every call by a timeout, and raise ``simkafka.errors`` exceptions of the same name as
kafka-python's (the message kept, the original chained). Returned records and metadata are
kafka-python's own named tuples, which have the same fields as simkafka's.

kafka-python is imported only inside functions here, so ``import simkafka`` works without it
(in Pyodide, say); ``simkafka.real`` itself imports without it too.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from . import errors as _errors
from .brokers import kafka_available
from .cluster import group_state_frame, partitions_frame
from .errors import (
    BrokerNotAvailableError,
    IllegalArgumentError,
    IllegalStateError,
    KafkaConfigurationError,
    KafkaError,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BrokerNotAvailableError", "RealAdmin", "RealCluster", "RealConsumer", "RealProducer"]

#: Default bound of every request, flush, close and future in seconds.
DEFAULT_TIMEOUT_S = 10.0
#: A producer waits this long for a topic's metadata before ``send`` gives up (kafka-python: 60 s).
DEFAULT_MAX_BLOCK_MS = 5000
#: The longest ``RealCluster.advance`` sleeps in one call.
MAX_ADVANCE_MS = 120_000
#: Budget for telling a missing broker: the probe, then the clients' bootstrap.
_PROBE_TIMEOUT_S = 2.0
_BOOTSTRAP_TIMEOUT_MS = 4000

_CREATE_HINT = (
    "create it first with admin.create_topics([NewTopic({name!r}, num_partitions=3, "
    "replication_factor=1)])"
)
_HINTS = {
    "TopicAlreadyExistsError": "ask cluster.topic_name(base) for a name unique to this run",
    "InvalidReplicationFactorError": "use replication_factor=1 (the course runs one broker)",
}


def _not_reachable(bootstrap: str) -> BrokerNotAvailableError:
    return BrokerNotAvailableError(
        f"Kafka is not reachable at {bootstrap} - start it with `make brokers-up` "
        "(or `docker compose up -d`)"
    )


# -- types and errors across the boundary -------------------------------------------------------
def _ktp(tp: Any) -> Any:
    """kafka-python's TopicPartition for any ``(topic, partition)`` pair."""
    from kafka.structs import TopicPartition

    return tp if isinstance(tp, TopicPartition) else TopicPartition(*tp)


def _kspec(spec: Any) -> Any:
    """kafka-python's OffsetSpec for the words "earliest" / "latest" (which the simulator's
    admin takes too); anything else (an OffsetSpec, an int) unchanged."""
    if spec in ("earliest", "latest"):
        from kafka.admin import OffsetSpec

        return OffsetSpec.EARLIEST if spec == "earliest" else OffsetSpec.LATEST
    return spec


def _koffset(value: Any) -> Any:
    """kafka-python's OffsetAndMetadata for an int or any ``(offset, metadata, epoch)`` tuple."""
    from kafka.structs import OffsetAndMetadata

    if isinstance(value, OffsetAndMetadata):
        return value
    if isinstance(value, int):
        return OffsetAndMetadata(value, "", -1)
    offset, metadata, *epoch = tuple(value)
    return OffsetAndMetadata(offset, metadata or "", epoch[0] if epoch else -1)


def _kresource(resource: Any) -> Any:
    """kafka-python's ConfigResource for simkafka's (same type numbers, name and configs)."""
    from kafka.admin import ConfigResource, ConfigResourceType

    if isinstance(resource, ConfigResource):
        return resource
    kind = ConfigResourceType(int(resource.resource_type))
    return ConfigResource(kind, resource.name, resource.configs)


def _broker_message(text: str) -> str:
    """The broker's own words from kafka-python's "Request ... failed with response ..." text."""
    found = re.search(r"error_message=(['\"])(.+?)\1", text)
    return found.group(2) if found else text


def _translate(exc: BaseException, bootstrap: str) -> BaseException:
    """simkafka's exception of the same name as kafka-python's ``exc``, or ``exc`` itself."""
    import kafka.errors as kerrors

    if isinstance(exc, kerrors.KafkaConnectionError):
        return _not_reachable(bootstrap)
    if not isinstance(exc, kerrors.KafkaError):
        return exc
    name = type(exc).__name__
    cls = getattr(_errors, name, None)
    if not (isinstance(cls, type) and issubclass(cls, KafkaError)):
        return exc
    text = _broker_message(" ".join(str(a) for a in exc.args)) if exc.args else ""
    if name in _HINTS:
        text = f"{text.rstrip('.')}: {_HINTS[name]}" if text else _HINTS[name]
    return cls(text) if text else cls()


@contextmanager
def _kafka_errors(bootstrap: str) -> Iterator[None]:
    """Re-raise kafka-python's errors as simkafka's, chaining the original."""
    try:
        yield
    except Exception as exc:
        new = _translate(exc, bootstrap)
        if new is exc:
            raise
        raise new from exc


def _construct(factory: Callable[..., Any], bootstrap: str, *args: Any, **config: Any) -> Any:
    """Build a kafka-python client; if it fails, stop the IO thread it already started."""
    from kafka.net.compat import KafkaNetClient

    made: list[Any] = []

    def kafka_client(**kw: Any) -> Any:
        client = KafkaNetClient(**kw)
        made.append(client)
        return client

    config.setdefault("kafka_client", kafka_client)
    try:
        with _kafka_errors(bootstrap):
            return factory(*args, **config)
    except BaseException as exc:
        for client in made:
            try:
                client.close()
            except Exception:
                pass
        if type(exc).__name__ == "KafkaTimeoutError" and "bootstrap" in str(exc):
            raise _not_reachable(bootstrap) from exc
        raise


class _Wrapper:
    """Delegates every attribute it does not define to the wrapped kafka-python client."""

    def __init__(self, cluster: RealCluster, client: Any) -> None:
        self._cluster = cluster
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def _errors(self):
        return _kafka_errors(self._cluster.bootstrap)


# -- admin ---------------------------------------------------------------------------------------
def _topics_as_dict(new_topics: Any) -> Any:
    """kafka-python's ``{name: {num_partitions, replication_factor, configs}}`` form."""
    if isinstance(new_topics, dict):
        return new_topics
    out: dict[str, dict[str, Any]] = {}
    for t in new_topics:
        if isinstance(t, str):
            out[t] = {}
            continue
        spec: dict[str, Any] = {
            "num_partitions": t.num_partitions,
            "replication_factor": t.replication_factor,
            "configs": {k: str(v) for k, v in (t.topic_configs or {}).items()},
        }
        if getattr(t, "replica_assignments", None):
            spec["assignments"] = t.replica_assignments
        out[t.name] = spec
    return out


def _topic_names(new_topics: Any) -> list[str]:
    return list(_topics_as_dict(new_topics))


class RealAdmin(_Wrapper):
    """A KafkaAdminClient that takes simkafka's types and remembers what to clean up."""

    def create_topics(
        self,
        new_topics: Any,
        timeout_ms: int | None = None,
        validate_only: bool = False,
        raise_errors: bool = True,
        wait_for_metadata: bool | None = None,
    ) -> dict:
        """Create topics from NewTopic objects, names or the dict form.

        Unlike kafka-python, waits by default until every partition has a leader, so a
        producer can send at once (as on the simulator).
        """
        specs = _topics_as_dict(new_topics)
        if wait_for_metadata is None:
            wait_for_metadata = not validate_only
        with self._errors():
            result = self._client.create_topics(
                specs,
                timeout_ms=timeout_ms or self._cluster.timeout_ms,
                validate_only=validate_only,
                raise_errors=raise_errors,
                wait_for_metadata=wait_for_metadata,
            )
        if not validate_only:
            for topic in result.get("topics", []):
                if topic.get("error_code", 0) == 0:
                    self._cluster._created_topics.add(topic["name"])
        return result

    def delete_topics(self, topics: Iterable[str], timeout_ms=None, raise_errors=True) -> dict:
        names = list(topics)
        with self._errors():
            result = self._client.delete_topics(
                names, timeout_ms=timeout_ms or self._cluster.timeout_ms, raise_errors=raise_errors
            )
        self._cluster._created_topics.difference_update(names)
        return result

    def create_partitions(
        self, topic_partitions: dict, timeout_ms=None, validate_only=False, raise_errors=True
    ) -> dict:
        """Grow topics: ``{topic: NewPartitions(total_count)}`` (or an int total)."""
        specs = {
            name: spec if isinstance(spec, (int, dict)) else int(spec.total_count)
            for name, spec in topic_partitions.items()
        }
        with self._errors():
            return self._client.create_partitions(
                specs,
                timeout_ms=timeout_ms or self._cluster.timeout_ms,
                validate_only=validate_only,
                raise_errors=raise_errors,
            )

    def list_group_offsets(self, group_specs: Any) -> dict:
        if isinstance(group_specs, dict):
            group_specs = {
                g: None if tps is None else [_ktp(tp) for tp in tps]
                for g, tps in group_specs.items()
            }
        with self._errors():
            return self._client.list_group_offsets(group_specs)

    def alter_group_offsets(self, group_id: str, offsets: dict, group_coordinator_id=None):
        self._cluster._groups.add(group_id)
        converted = {_ktp(tp): _koffset(om) for tp, om in offsets.items()}
        with self._errors():
            return self._client.alter_group_offsets(group_id, converted, group_coordinator_id)

    def reset_group_offsets(self, group_id: str, offset_specs: dict, group_coordinator_id=None):
        self._cluster._groups.add(group_id)
        converted = {_ktp(tp): _kspec(spec) for tp, spec in offset_specs.items()}
        with self._errors():
            return self._client.reset_group_offsets(group_id, converted, group_coordinator_id)

    def list_partition_offsets(self, topic_partition_specs: dict, *args: Any, **kw: Any) -> dict:
        converted = {_ktp(tp): _kspec(spec) for tp, spec in topic_partition_specs.items()}
        kw.setdefault("timeout_ms", self._cluster.timeout_ms)
        with self._errors():
            return self._client.list_partition_offsets(converted, *args, **kw)

    def delete_records(self, records_to_delete: dict, timeout_ms=None, partition_leader_id=None):
        converted = {_ktp(tp): off for tp, off in records_to_delete.items()}
        with self._errors():
            return self._client.delete_records(
                converted, timeout_ms or self._cluster.timeout_ms, partition_leader_id
            )

    def alter_configs(self, config_resources: Iterable[Any], *args: Any, **kw: Any) -> dict:
        """kafka-python's alter_configs for simkafka's ConfigResource too; a group's configs
        are removed with the group when the cluster closes."""
        resources = [_kresource(r) for r in config_resources]
        for r in resources:
            if r.resource_type.name == "GROUP":
                self._cluster._groups.add(r.name)
        with self._errors():
            return self._client.alter_configs(resources, *args, **kw)

    def describe_configs(self, config_resources: Iterable[Any], *args: Any, **kw: Any) -> dict:
        with self._errors():
            return self._client.describe_configs(
                [_kresource(r) for r in config_resources], *args, **kw
            )

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._errors():
                return attr(*args, **kwargs)

        call.__name__ = name
        call.__doc__ = attr.__doc__
        return call

    def close(self) -> None:
        self._client.close()


# -- producer ------------------------------------------------------------------------------------
class RealFuture:
    """kafka-python's FutureRecordMetadata with a bounded ``get`` and simkafka's errors."""

    def __init__(self, producer: RealProducer, future: Any, topic: str) -> None:
        self._producer = producer
        self._future = future
        self._topic = topic

    def get(self, timeout: float | None = None) -> Any:
        """The record's metadata, waiting at most ``timeout`` s (default: the cluster's)."""
        cluster = self._producer._cluster
        with self._producer._send_errors(self._topic):
            return self._future.get(timeout=cluster.timeout_s if timeout is None else timeout)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._future, name)


class RealProducer(_Wrapper):
    """A KafkaProducer whose send, flush and close are bounded, with simkafka's errors."""

    @contextmanager
    def _send_errors(self, topic: str) -> Iterator[None]:
        try:
            with self._errors():
                yield
        except _errors.KafkaTimeoutError as exc:
            if "metadata" in str(exc) and not self._cluster._topic_exists(topic):
                raise _errors.UnknownTopicOrPartitionError(
                    f"topic {topic!r} does not exist; " + _CREATE_HINT.format(name=topic)
                ) from exc
            raise

    def send(self, topic: str, *args: Any, **kwargs: Any) -> RealFuture:
        """Send as kafka-python does; a missing topic fails after ``max_block_ms`` (5 s)."""
        with self._send_errors(topic):
            return RealFuture(self, self._client.send(topic, *args, **kwargs), topic)

    def flush(self, timeout: float | None = None) -> None:
        with self._errors():
            self._client.flush(timeout=self._cluster.timeout_s if timeout is None else timeout)

    def partitions_for(self, topic: str) -> set[int]:
        with self._send_errors(topic):
            return self._client.partitions_for(topic)

    def close(self, timeout: float | None = None) -> None:
        with self._errors():
            self._client.close(timeout=self._cluster.timeout_s if timeout is None else timeout)

    def __enter__(self) -> RealProducer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- consumer ------------------------------------------------------------------------------------
def _assignors(strategy: Any) -> Any:
    """kafka-python's assignor classes for simkafka's assignor names."""
    from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
    from kafka.coordinator.assignors.range import RangePartitionAssignor
    from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
    from kafka.coordinator.assignors.sticky.sticky_assignor import StickyPartitionAssignor

    by_name = {
        c.name: c
        for c in (
            RangePartitionAssignor,
            RoundRobinPartitionAssignor,
            StickyPartitionAssignor,
            CooperativeStickyAssignor,
        )
    }
    items = [strategy] if isinstance(strategy, str) else list(strategy)
    out = []
    for item in items:
        if isinstance(item, str):
            if item not in by_name:
                raise KafkaConfigurationError(
                    f"unknown partition_assignment_strategy {item!r}; use one of "
                    f"{', '.join(by_name)}"
                )
            item = by_name[item]
        out.append(item)
    return tuple(out)


class RealConsumer(_Wrapper):
    """A KafkaConsumer that takes simkafka's TopicPartition and OffsetAndMetadata everywhere."""

    @property
    def member_id(self) -> str | None:
        """This member's id in its group (None before it joins or without a group)."""
        return self._client.group_metadata().member_id or None

    @property
    def generation(self) -> int:
        """The group generation this member last joined (-1 before it joins)."""
        return self._client.group_metadata().generation_id

    @property
    def group_id(self) -> str | None:
        return self._client.config["group_id"]

    def poll(self, timeout_ms: int = 0, max_records: int | None = None) -> dict:
        with self._errors():
            return self._client.poll(timeout_ms=timeout_ms, max_records=max_records)

    def subscribe(self, topics: Any = (), pattern: str | None = None, listener: Any = None) -> None:
        with self._errors():
            self._client.subscribe(topics=topics, pattern=pattern, listener=listener)
            self._know_partitions(topics)

    def _know_partitions(self, topics: Iterable[str]) -> None:
        """Fetch the topics' metadata before this member first joins its group.

        kafka-python 3.0.12 loses a join when a rebalance that a metadata change started
        (the leader assigned before it saw a new topic's partitions) is still in flight as a
        ``poll()`` times out: the next ``poll()`` sees no reason to rejoin, never completes
        the join, and leaves heartbeats off, so the member's session expires and the group
        stays empty. A leader that knows every partition at its first assignment never
        starts that rebalance.
        """
        for topic in topics:
            self._client.partitions_for_topic(topic)

    def __iter__(self) -> RealConsumer:
        return self

    def __next__(self) -> Any:
        """The next record; StopIteration after ``consumer_timeout_ms`` without any."""
        with self._errors():
            return next(self._client)

    def assign(self, partitions: Iterable[Any]) -> None:
        with self._errors():
            self._client.assign([_ktp(tp) for tp in partitions])

    def commit(self, offsets: dict | None = None, timeout_ms: int | None = None) -> None:
        if offsets is not None:
            offsets = {_ktp(tp): _koffset(om) for tp, om in offsets.items()}
        with self._errors():
            self._client.commit(offsets, timeout_ms=timeout_ms or self._cluster.timeout_ms)

    def commit_async(self, offsets: dict | None = None, callback: Callable | None = None) -> Any:
        if offsets is not None:
            offsets = {_ktp(tp): _koffset(om) for tp, om in offsets.items()}
        with self._errors():
            return self._client.commit_async(offsets, callback)

    def committed(self, partition: Any, metadata: bool = False, timeout_ms=None) -> Any:
        with self._errors():
            return self._client.committed(
                _ktp(partition), metadata, timeout_ms or self._cluster.timeout_ms
            )

    def position(self, partition: Any, timeout_ms: int | None = None) -> int:
        with self._errors():
            return self._client.position(_ktp(partition), timeout_ms or self._cluster.timeout_ms)

    def highwater(self, partition: Any) -> int | None:
        return self._client.highwater(_ktp(partition))

    def seek(self, partition: Any, offset: int) -> None:
        with self._errors():
            self._client.seek(_ktp(partition), offset)

    def seek_to_beginning(self, *partitions: Any) -> None:
        with self._errors():
            self._client.seek_to_beginning(*(_ktp(tp) for tp in partitions))

    def seek_to_end(self, *partitions: Any) -> None:
        with self._errors():
            self._client.seek_to_end(*(_ktp(tp) for tp in partitions))

    def pause(self, *partitions: Any) -> None:
        self._client.pause(*(_ktp(tp) for tp in partitions))

    def resume(self, *partitions: Any) -> None:
        self._client.resume(*(_ktp(tp) for tp in partitions))

    def beginning_offsets(self, partitions: Iterable[Any], timeout_ms=None) -> dict:
        with self._errors():
            return self._client.beginning_offsets(
                [_ktp(tp) for tp in partitions], timeout_ms or self._cluster.timeout_ms
            )

    def end_offsets(self, partitions: Iterable[Any], timeout_ms=None) -> dict:
        with self._errors():
            return self._client.end_offsets(
                [_ktp(tp) for tp in partitions], timeout_ms or self._cluster.timeout_ms
            )

    def offsets_for_times(self, timestamps: dict, timeout_ms=None) -> dict:
        with self._errors():
            return self._client.offsets_for_times(
                {_ktp(tp): ts for tp, ts in timestamps.items()},
                timeout_ms or self._cluster.timeout_ms,
            )

    def close(self, autocommit: bool = True, timeout_ms: int | None = None) -> None:
        with self._errors():
            self._client.close(
                autocommit=autocommit, timeout_ms=timeout_ms or self._cluster.timeout_ms
            )

    def __enter__(self) -> RealConsumer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- the cluster ---------------------------------------------------------------------------------
class RealCluster:
    """A real Kafka behind SimCluster's factories, cleaning up after itself.

    ``with RealCluster() as cluster:`` probes the broker (a missing one is one line within
    5 seconds: :class:`BrokerNotAvailableError`), and on exit closes every client it made,
    deletes the consumer groups its consumers used and the topics its admins created.
    Ask it for names with :meth:`topic_name` and :meth:`group_name`, unique to this run, so
    that runs never see each other's records, offsets or members.
    """

    def __init__(
        self,
        bootstrap: str = "127.0.0.1:9092",
        *,
        prefix: str = "simkafka",
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        if timeout_s <= 0:
            raise IllegalArgumentError(f"timeout_s must be positive, got {timeout_s!r}")
        self.bootstrap = bootstrap
        self.prefix = prefix
        self.timeout_s = float(timeout_s)
        self.run_id = uuid.uuid4().hex[:8]
        self._created_topics: set[str] = set()
        self._groups: set[str] = set()
        self._clients: list[_Wrapper] = []
        self._admin: RealAdmin | None = None
        self._closed = False
        servers = [s for s in str(bootstrap).split(",") if s.strip()] or [bootstrap]
        if not all(re.fullmatch(r"\s*[^\s:,]+:\d{1,5}\s*", s) for s in servers):
            raise IllegalArgumentError(
                f"bootstrap must be 'host:port' (several separated by commas), got {bootstrap!r}"
            )
        probe_s = min(_PROBE_TIMEOUT_S, 4.0 / len(servers))
        if not kafka_available(bootstrap, timeout=probe_s):
            raise _not_reachable(bootstrap)

    @property
    def timeout_ms(self) -> int:
        return int(self.timeout_s * 1000)

    # -- names ---------------------------------------------------------------------------------
    def topic_name(self, base: str) -> str:
        """``{prefix}-{base}-{run id}``: the same name for the same base within this run."""
        return f"{self.prefix}-{base}-{self.run_id}"

    def group_name(self, base: str) -> str:
        """``{prefix}-{base}-{run id}``, as :meth:`topic_name`, for a consumer group id."""
        return f"{self.prefix}-{base}-{self.run_id}"

    # -- the clock -----------------------------------------------------------------------------
    @property
    def now_ms(self) -> int:
        """Wall-clock time in milliseconds since the epoch (the broker's clock, near enough)."""
        return int(time.time() * 1000)

    def advance(self, ms: int) -> None:
        """Let ``ms`` milliseconds pass, for real: sleeps (at most MAX_ADVANCE_MS per call).

        The clients' background threads keep heartbeating meanwhile, as on the simulator a
        member blocked in ``poll()`` keeps its session; a consumer that is not polled for
        ``max_poll_interval_ms`` leaves its group, as there.
        """
        if ms < 0:
            raise IllegalArgumentError(f"time only moves forward: advance({ms}) is negative")
        if ms > MAX_ADVANCE_MS:
            raise IllegalArgumentError(
                f"advance({ms}) would sleep {ms / 1000:.0f} s on a real broker; pass at most "
                f"{MAX_ADVANCE_MS} ms, or lower the topic's or group's timeouts"
            )
        time.sleep(ms / 1000)

    # -- clients -------------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise IllegalStateError("this RealCluster is closed; make a new one")

    def _common(self, config: dict[str, Any]) -> dict[str, Any]:
        from kafka.serializer import (
            Deserializer,
            DeserializeWrapper,
            Serializer,
            SerializeWrapper,
        )

        config = dict(config)
        # Plain functions (str.encode, json.loads) as on the simulator; kafka-python 3 wraps
        # them itself but warns that they are deprecated, so wrap them here, silently.
        for key in ("key_serializer", "value_serializer"):
            if callable(config.get(key)) and not isinstance(config[key], Serializer):
                config[key] = SerializeWrapper(config[key])
        for key in ("key_deserializer", "value_deserializer"):
            if callable(config.get(key)) and not isinstance(config[key], Deserializer):
                config[key] = DeserializeWrapper(config[key])
        config["bootstrap_servers"] = self.bootstrap
        config.setdefault("request_timeout_ms", self.timeout_ms)
        config.setdefault("bootstrap_timeout_ms", min(self.timeout_ms, _BOOTSTRAP_TIMEOUT_MS))
        return config

    def admin(self, **config: Any) -> RealAdmin:
        """A KafkaAdminClient (wrapped) with kafka-python's configuration names."""
        from kafka.admin import KafkaAdminClient

        self._check_open()
        client = _construct(KafkaAdminClient, self.bootstrap, **self._common(config))
        admin = RealAdmin(self, client)
        self._clients.append(admin)
        return admin

    def producer(self, **config: Any) -> RealProducer:
        """A KafkaProducer (wrapped); ``max_block_ms`` defaults to 5000 instead of 60000."""
        from kafka import KafkaProducer

        self._check_open()
        config = self._common(config)
        config.setdefault("max_block_ms", DEFAULT_MAX_BLOCK_MS)
        part = config.get("partitioner")
        if isinstance(part, str):
            if part != "kafka-python":
                raise KafkaConfigurationError(
                    f"partitioner {part!r} is a simulator name; on a real broker pass a "
                    "callable or leave it out (kafka-python's default)"
                )
            del config["partitioner"]
        client = _construct(KafkaProducer, self.bootstrap, **config)
        producer = RealProducer(self, client)
        self._clients.append(producer)
        return producer

    def consumer(self, *topics: str, **config: Any) -> RealConsumer:
        """A KafkaConsumer (wrapped); iteration stops after ``consumer_timeout_ms`` (default
        the cluster's timeout, not forever), and assignor names are accepted as on SimCluster."""
        from kafka import KafkaConsumer

        self._check_open()
        config = self._common(config)
        config.setdefault("consumer_timeout_ms", self.timeout_ms)
        # A group whose leader assigned before it saw a new topic's partitions rebalances at
        # its next metadata refresh; Kafka's 5-minute default would stall a lesson (and the
        # simulator's metadata is always fresh).
        config.setdefault("metadata_max_age_ms", 5000)
        if "partition_assignment_strategy" in config:
            config["partition_assignment_strategy"] = _assignors(
                config["partition_assignment_strategy"]
            )
        if config.get("group_id") is not None:
            self._groups.add(config["group_id"])
        client = _construct(KafkaConsumer, self.bootstrap, *topics, **config)
        consumer = RealConsumer(self, client)
        if config.get("group_id") is not None:
            with consumer._errors():
                consumer._know_partitions(topics)
        self._clients.append(consumer)
        return consumer

    def share_consumer(self, *topics: str, **config: Any) -> Any:
        """A share-group member: confluent-kafka's ShareConsumer (kafka-python has none), in
        :class:`simkafka.real_share.RealShareConsumer`'s SimShareConsumer shape."""
        from .real_share import RealShareConsumer

        self._check_open()
        consumer = RealShareConsumer(self.bootstrap, *topics, **config)
        self._groups.add(consumer.group_id)
        self._clients.append(consumer)
        return consumer

    def _internal_admin(self) -> RealAdmin:
        if self._admin is None or self._admin._client._closed:
            from kafka.admin import KafkaAdminClient

            client = _construct(KafkaAdminClient, self.bootstrap, **self._common({}))
            self._admin = RealAdmin(self, client)
        return self._admin

    def _topic_exists(self, topic: str) -> bool:
        try:
            return topic in self._internal_admin()._client.list_topics()
        except Exception:
            return True  # cannot tell: keep kafka-python's own error

    # -- groups --------------------------------------------------------------------------------
    def settle(self, *consumers: RealConsumer, timeout_s: float = 30.0) -> int:
        """Poll each consumer in turn until every group is Stable and owns each partition once.

        The real twin of ``SimCluster.settle``. A real member runs the group protocol only
        inside ``poll()``, and ``poll()`` also fetches; so each turn pauses the member's
        partitions, polls for at most one record, and seeks back to any record that still
        came (a partition assigned during that very poll is not paused yet). Nothing is
        skipped: the records are fetched again by the next ``poll()``. Returns the rounds
        it took; raises KafkaTimeoutError after ``timeout_s``.
        """
        live = [c for c in consumers if not c._client._closed and c.group_id is not None]
        deadline = time.monotonic() + timeout_s
        rounds = 0
        while True:
            rounds += 1
            self._turns_in_parallel(live)
            if self._settled(live):
                return rounds
            if time.monotonic() > deadline:
                raise _errors.KafkaTimeoutError(
                    f"the group did not settle in {timeout_s:g} s; is every member passed "
                    "to settle(), and does every subscribed topic exist?"
                )

    def _turns_in_parallel(self, consumers: list[RealConsumer]) -> None:
        """One group turn per member, all at once, as members poll in their own processes.

        Polled one after another from one thread, kafka-python members can keep asking to
        rejoin (a member's turn comes after another's rebalance timer); concurrent polls
        are what Kafka's protocol expects. Each consumer is still used by one thread only.
        """
        errors: list[BaseException] = []

        def turn(c: RealConsumer) -> None:
            try:
                self._group_turn(c)
            except BaseException as exc:  # re-raised below, in the caller's thread
                errors.append(exc)

        threads = [threading.Thread(target=turn, args=(c,), daemon=True) for c in consumers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=self.timeout_s)
        if errors:
            raise errors[0]

    @staticmethod
    def _group_turn(c: RealConsumer) -> None:
        already = c._client.paused()
        pausing = [tp for tp in c._client.assignment() if tp not in already]
        c._client.pause(*pausing)
        try:
            got = c.poll(timeout_ms=50, max_records=1)
        finally:
            c._client.resume(*(tp for tp in pausing if tp in c._client.assignment()))
        for tp, records in got.items():
            if records:
                c._client.seek(tp, records[0].offset)

    def _settled(self, consumers: list[RealConsumer]) -> bool:
        from kafka.structs import MemberState

        groups: dict[str, list[RealConsumer]] = {}
        for c in consumers:
            meta = c._client.group_metadata()
            if meta.state != MemberState.STABLE:
                return False
            groups.setdefault(c.group_id, []).append(c)
        admin = self._internal_admin()
        with admin._errors():
            described = admin._client.describe_groups(list(groups))
        for gid, members in groups.items():
            info = described.get(gid, {})
            if info.get("group_state") != "Stable":
                return False
            ids = {m["member_id"] for m in info.get("members", [])}
            if ids != {c.member_id for c in members}:
                return False
            if len({c.generation for c in members}) != 1:
                return False
            owned = [tp for c in members for tp in c._client.assignment()]
            wanted = set()
            for topic in set().union(*(c._client.subscription() or set() for c in members)):
                wanted |= {(topic, p) for p in c._client.partitions_for_topic(topic) or ()}
            if len(owned) != len(set(owned)) or set(owned) != wanted:
                return False
        return True

    # -- tables: SimCluster's DataFrames, asked of the broker -------------------------------
    def records(self, topic: str) -> pd.DataFrame:
        """Every retained record of a topic: SimCluster.records' columns and dtypes.

        ``partition, offset, timestamp, key, value, headers``, by partition then offset. An
        assigned consumer (no group, nothing committed) reads each partition from its log
        start offset to the log end offset it had when called, within ``timeout_s``
        (KafkaTimeoutError naming the partitions still short). Keys and values are the
        stored bytes; headers are a tuple of ``(key, value)`` pairs, as on the simulator
        (kafka-python gives a list). Timestamps are the producer's (the wall clock here,
        the simulated clock there). What a producer has not yet sent is not there: flush first.
        """
        import pandas as pd
        from kafka import KafkaConsumer

        self._check_open()
        tps = [_ktp((topic, p)) for p in self._partition_ids(topic)]
        config = self._common({"group_id": None, "enable_auto_commit": False})
        reader = _construct(KafkaConsumer, self.bootstrap, **config)
        rows: dict[Any, list[tuple]] = {tp: [] for tp in tps}
        try:
            with _kafka_errors(self.bootstrap):
                reader.assign(tps)
                starts = reader.beginning_offsets(tps, self.timeout_ms)
                ends = reader.end_offsets(tps, self.timeout_ms)
                for tp in tps:
                    reader.seek(tp, starts[tp])
                short = {tp for tp in tps if ends[tp] > starts[tp]}
                deadline = time.monotonic() + self.timeout_s
                while short:
                    if time.monotonic() > deadline:
                        missing = sorted(tp.partition for tp in short)
                        raise _errors.KafkaTimeoutError(
                            f"records({topic!r}): partitions {missing} were not read to their "
                            f"end offsets within {self.timeout_s:g} s; is the broker busy? "
                            "Pass RealCluster(timeout_s=...) to wait longer"
                        )
                    for tp, batch in reader.poll(timeout_ms=200).items():
                        rows[tp] += [
                            (
                                r.partition,
                                r.offset,
                                r.timestamp,
                                r.key,
                                r.value,
                                tuple((k, v) for k, v in r.headers),
                            )
                            for r in batch
                            if r.offset < ends[tp]
                        ]
                    for tp in list(short):
                        if reader.position(tp, self.timeout_ms) >= ends[tp]:
                            short.discard(tp)
                            reader.pause(tp)
        finally:
            reader.close(autocommit=False, timeout_ms=min(self.timeout_ms, 5000))
        return pd.DataFrame(
            [row for tp in tps for row in rows[tp]],
            columns=["partition", "offset", "timestamp", "key", "value", "headers"],
        )

    def partitions(self, topic: str) -> pd.DataFrame:
        """One row per partition: SimCluster.partitions' columns and dtypes.

        ``log_start_offset`` and ``log_end_offset`` come from ListOffsets (earliest, latest);
        ``records`` is their difference, as on the simulator (exact without transactions,
        whose markers take offsets too); ``bytes`` is the partition's size on disk from
        DescribeLogDirs (``<NA>`` if the broker does not say), which equals the simulator's
        Kafka-format size for the same batches. ``segments`` is always ``<NA>`` here: no
        Kafka API reports a partition's segment count (it is in the broker's log directory,
        ``kafka-log-dirs`` shows only sizes). Both are nullable ``Int64`` on both backends.
        """

        self._check_open()
        parts = self._partition_ids(topic)
        starts = self._list_offsets({(topic, p): -2 for p in parts})
        ends = self._list_offsets({(topic, p): -1 for p in parts})
        sizes = self._partition_sizes(topic)
        rows = [
            (
                p,
                starts[topic, p],
                ends[topic, p],
                ends[topic, p] - starts[topic, p],
                None,
                sizes.get(p),
            )
            for p in parts
        ]
        return partitions_frame(rows)

    def group_state(self, group_id: str) -> pd.DataFrame:
        """One row per partition the group subscribes to or committed: owner, committed, lag.

        SimCluster.group_state's columns and dtypes: ``topic, partition, owner, committed,
        log_end_offset, lag``. ``owner`` is the member id the broker's DescribeGroups lists
        the partition under (None if nobody owns it), ``committed`` the group's offset from
        OffsetFetch (``<NA>`` if none), ``log_end_offset`` from ListOffsets, and ``lag`` is
        ``log_end_offset - committed``. A group the broker does not know gives an empty frame.
        """

        self._check_open()
        admin = self._internal_admin()
        with admin._errors():
            described = admin._client.describe_groups([group_id]).get(group_id, {})
            committed = admin._client.list_group_offsets({group_id: None}).get(group_id, {})
        if described.get("group_state", "Dead") == "Dead" and not committed:
            return group_state_frame([])
        members = described.get("members", [])
        owner = {
            (a["topic"], p): m["member_id"]
            for m in members
            for a in (m.get("member_assignment") or {}).get("assigned_partitions", [])
            for p in a["partitions"]
        }
        offsets = {(tp.topic, tp.partition): om.offset for tp, om in committed.items()}
        topics = {t for m in members for t in (m.get("member_metadata") or {}).get("topics", [])}
        topics |= {t for t, _ in offsets}
        counts = self._partition_counts(sorted(topics))
        keys = [(t, p) for t in sorted(counts) for p in range(counts[t])]
        ends = self._list_offsets({key: -1 for key in keys}) if keys else {}
        rows = []
        for key in keys:
            offset = offsets.get(key)
            offset = None if offset is None or offset < 0 else offset
            lag = None if offset is None else ends[key] - offset
            rows.append((key[0], key[1], owner.get(key), offset, ends[key], lag))
        return group_state_frame(rows)

    def _partition_counts(self, topics: list[str]) -> dict[str, int]:
        """``{topic: partition count}`` for those of ``topics`` that exist."""
        if not topics:
            return {}
        admin = self._internal_admin()
        with admin._errors():
            described = admin._client.describe_topics(topics)
        return {
            t["name"]: len(t["partitions"])
            for t in described
            if t.get("error_code", 0) == 0 and t.get("partitions")
        }

    def _partition_ids(self, topic: str) -> list[int]:
        """The partitions of ``topic``, or UnknownTopicOrPartitionError naming the fix."""
        count = self._partition_counts([topic]).get(topic)
        if count is None:
            raise _errors.UnknownTopicOrPartitionError(
                f"topic {topic!r} does not exist; " + _CREATE_HINT.format(name=topic)
            )
        return list(range(count))

    def _list_offsets(self, specs: dict[tuple[str, int], int]) -> dict[tuple[str, int], int]:
        """ListOffsets: ``{(topic, partition): offset}`` for -1 (latest) or -2 (earliest)."""
        admin = self._internal_admin()
        with admin._errors():
            found = admin._client.list_partition_offsets(
                {_ktp(key): spec for key, spec in specs.items()}, timeout_ms=self.timeout_ms
            )
        return {(tp.topic, tp.partition): o.offset for tp, o in found.items()}

    def _partition_sizes(self, topic: str) -> dict[int, int]:
        """``{partition: bytes on disk}`` from DescribeLogDirs; empty if the broker will not say."""
        import kafka.errors as kerrors

        try:
            answers = self._internal_admin()._client.describe_log_dirs([topic])
        except kerrors.KafkaError:
            return {}
        return {
            p["partition_index"]: p["partition_size"]
            for broker in answers
            for log_dir in broker.get("log_dirs", [])
            if log_dir.get("error_code", 0) == 0
            for t in log_dir.get("topics", [])
            if t["name"] == topic
            for p in t["partitions"]
            if not p.get("is_future_key")
        }

    # -- cleanup -------------------------------------------------------------------------------
    def close(self) -> None:
        """Close every client, then delete this run's groups and topics, all within timeouts.

        What cannot be removed in time is named in a warning, never raised over the
        experiment's own exception.
        """
        if self._closed:
            return
        self._closed = True
        problems: list[str] = []
        close_ms = min(self.timeout_ms, 5000)
        for client in reversed(self._clients):
            if isinstance(client, RealAdmin):
                continue
            try:
                if isinstance(client, RealConsumer):
                    client.close(timeout_ms=close_ms)
                else:
                    client.close(timeout=close_ms / 1000)
            except Exception as exc:
                problems.append(f"closing a client: {exc}")
        try:
            problems += self._delete_leftovers()
        except Exception as exc:
            problems.append(f"cleaning up: {exc}")
        for client in [c for c in self._clients if isinstance(c, RealAdmin)] + [self._admin]:
            if client is not None:
                try:
                    client.close()
                except Exception as exc:
                    problems.append(f"closing an admin: {exc}")
        self._clients.clear()
        if problems:
            warnings.warn("RealCluster cleanup: " + "; ".join(problems), stacklevel=2)

    def _delete_leftovers(self) -> list[str]:
        problems = []
        if not (self._groups or self._created_topics):
            return problems
        admin = self._internal_admin()._client
        deadline = time.monotonic() + self.timeout_s
        groups = sorted(self._groups)
        while groups:
            result = admin.delete_groups(groups)
            # 'OK'; a group that never formed is already gone; a static member's group stays
            # NonEmpty until its session times out, so retry until the deadline.
            groups = [g for g, err in result.items() if err not in ("OK", "GroupIdNotFoundError")]
            if not groups or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        if groups:
            problems.append(f"consumer groups {groups} still have members")
        self._groups.clear()
        topics = sorted(self._created_topics)
        if topics:
            result = admin.delete_topics(topics, timeout_ms=self.timeout_ms, raise_errors=False)
            failed = [
                t["name"] for t in result.get("topics", []) if t.get("error_code") not in (0, 3)
            ]
            if failed:
                problems.append(f"topics {failed} were not deleted")
        self._created_topics.clear()
        return problems

    def __enter__(self) -> RealCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"RealCluster({self.bootstrap!r}, prefix={self.prefix!r}, run_id={self.run_id!r}, {state})"
