"""GroupMembers: the members of one consumer group, joined, stopped and restarted by name.

An experiment about rebalancing needs several members of ``groups-service`` that come and
go: ``join("a")``, ``leave("b")`` (close: LeaveGroup, the group rebalances at once),
``crash("c")`` (no LeaveGroup, no more heartbeats: the group waits ``session_timeout_ms``),
``restart("c")`` (a new consumer under the same name), and ``settle()`` after each. It runs
unchanged on both backends:

* on a ``SimCluster`` the members take their group turns in ``settle``, and simulated time
  moves on (in 100 ms steps) until the coordinator's member list is the live members, so a
  crashed member's session expires on the simulated clock;
* on a ``RealCluster`` each member runs in its own thread, polling (``poll(timeout_ms=100)``)
  as a member in its own process does, so members rejoin concurrently as Kafka expects;
  ``settle`` waits (bounded, wall clock) until the broker's group is Stable with exactly the
  live members, each partition owned once.

Members are known by name. Each consumer's ``client_id`` is its name, and both the broker
and the simulator build member ids as ``"<client_id>-<uuid>"``: so ordering members by
member id (as the range and roundrobin assignors do) orders them by name on both backends,
and the assignment is the same. Names are restricted to letters, digits, ``_`` and ``.``
(every such character sorts after ``-``, so ``"a-<uuid>" < "ab-<uuid>"`` as ``"a" < "ab"``).
With ``static=True`` the name is also the ``group_instance_id`` (static membership: a
closing member sends no LeaveGroup, so ``leave`` then waits for the session to expire too).

Each member's rebalance listener records rows ``time_ms, member, event, partitions``
(``event``: assigned / revoked / lost) in :meth:`GroupMembers.events`; time is simulated on
the simulator, wall-clock milliseconds since the GroupMembers was made on a real broker.

How a real member crashes (kafka-python 3.0.12 has no "close without LeaveGroup" for a
dynamic member): its poll thread is stopped; the coordinator's heartbeat task is closed
(``_coordinator._close_heartbeat()``); the coordinator forgets its member id
(``_coordinator.reset_generation()``), so that ``close(autocommit=False)`` skips
``maybe_leave_group`` (it sends LeaveGroup only while it holds a member id) and just closes
the network client. The broker sees the connections close, no LeaveGroup and no heartbeat,
and removes the member after ``session_timeout_ms``, as it would after the process died.
The listener is muted first: a dead process runs no ``on_partitions_lost``.

>>> from simkafka import SimCluster
>>> cluster = SimCluster(seed=1)
>>> cluster.create_topic("user-accounts", partitions=3)
>>> group = GroupMembers(cluster, "user-accounts", "groups-service")
>>> group.join("a"); group.join("b"); group.settle()
>>> group.ownership()
   generation  partition owner
0           2          0     a
1           2          1     a
2           2          2     b
>>> group.crash("a"); group.settle()  # 6 simulated seconds for the session to expire
>>> group.ownership()["owner"].tolist()
['b', 'b', 'b']
>>> group.close()
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .cluster import SimCluster
from .errors import IllegalArgumentError, IllegalStateError, KafkaTimeoutError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["GroupMembers"]

#: Kafka's smallest allowed session (the broker's group.min.session.timeout.ms).
SESSION_TIMEOUT_MS = 6000
#: Members notice a rebalance at their next heartbeat: every second, not every three.
HEARTBEAT_INTERVAL_MS = 1000
#: A real member's poll timeout in its thread.
POLL_MS = 100
#: The simulated clock's step while settle waits for sessions to expire.
SIM_STEP_MS = 100

EVENT_COLUMNS = ["time_ms", "member", "event", "partitions"]
_NAME = re.compile(r"[A-Za-z0-9_.]+")


class _Recorder:
    """A rebalance listener that records rows for one member (muted once it crashed)."""

    def __init__(self, group: GroupMembers, name: str) -> None:
        self._group = group
        self._name = name
        self.muted = False

    def _row(self, event: str, partitions: Any) -> None:
        if self.muted:
            return
        parts = tuple(sorted(tp[1] for tp in partitions if tp[0] == self._group.topic))
        self._group._record(self._name, event, parts)

    def on_partitions_revoked(self, revoked: Any) -> None:
        self._row("revoked", revoked)

    def on_partitions_assigned(self, assigned: Any) -> None:
        self._row("assigned", assigned)

    def on_partitions_lost(self, lost: Any) -> None:
        self._row("lost", lost)


def _real_recorder(group: GroupMembers, name: str) -> _Recorder:
    """A recorder that kafka-python accepts (it insists on a ConsumerRebalanceListener)."""
    from kafka.consumer.subscription_state import ConsumerRebalanceListener

    class RealRecorder(_Recorder, ConsumerRebalanceListener):
        pass

    return RealRecorder(group, name)


@dataclass
class _Member:
    name: str
    consumer: Any
    recorder: _Recorder
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    error: BaseException | None = None


class GroupMembers:
    """Named members of consumer group ``group_id`` on ``topic``, on either backend.

    ``group_id`` is used as given (pass ``cluster.group_name(base)`` for a run-unique one).
    ``consumer_config`` goes to every member; defaults: ``session_timeout_ms=6000``,
    ``heartbeat_interval_ms=1000``, ``enable_auto_commit=False``,
    ``auto_offset_reset="earliest"``.
    """

    def __init__(
        self,
        cluster: Any,
        topic: str,
        group_id: str,
        *,
        strategy: Any = "range",
        static: bool = False,
        **consumer_config: Any,
    ) -> None:
        self.cluster = cluster
        self.topic = topic
        self.group_id = group_id
        self.static = static
        self._sim = isinstance(cluster, SimCluster)
        config = dict(consumer_config)
        config.setdefault("session_timeout_ms", SESSION_TIMEOUT_MS)
        config.setdefault("heartbeat_interval_ms", HEARTBEAT_INTERVAL_MS)
        config.setdefault("enable_auto_commit", False)
        config.setdefault("auto_offset_reset", "earliest")
        config["partition_assignment_strategy"] = strategy
        for key in ("group_id", "client_id", "group_instance_id"):
            if key in config:
                raise IllegalArgumentError(f"{key} is set by GroupMembers, not in its config")
        self._config = config
        self._members: dict[str, _Member] = {}
        self._rows: list[tuple[int, str, str, tuple[int, ...]]] = []
        self._lock = threading.Lock()
        self._t0_ms = cluster.now_ms if self._sim else None
        self._t0 = time.monotonic()
        self._closed = False

    # -- time and rows -----------------------------------------------------------------------
    def _now_ms(self) -> int:
        if self._sim:
            return self.cluster.now_ms - self._t0_ms
        return int((time.monotonic() - self._t0) * 1000)

    def _record(self, name: str, event: str, partitions: tuple[int, ...]) -> None:
        with self._lock:
            self._rows.append((self._now_ms(), name, event, partitions))

    def events(self) -> pd.DataFrame:
        """The listener rows so far: ``time_ms, member, event, partitions`` (a tuple)."""
        import pandas as pd

        with self._lock:
            rows = list(self._rows)
        return pd.DataFrame(rows, columns=EVENT_COLUMNS)

    # -- members -----------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """The live members, in the order they joined."""
        return list(self._members)

    def member_id(self, name: str) -> str | None:
        return self._member(name).consumer.member_id

    def assignment(self, name: str) -> list[int]:
        """The partitions of ``topic`` that member ``name`` owns now, sorted."""
        owned = self._member(name).consumer.assignment()
        return sorted(tp[1] for tp in owned if tp[0] == self.topic)

    def _member(self, name: str) -> _Member:
        if name not in self._members:
            raise IllegalArgumentError(
                f"no live member named {name!r}; live: {', '.join(self._members) or 'none'}"
            )
        return self._members[name]

    def join(self, name: str) -> None:
        """A new member ``name`` subscribes (its client_id is ``name``); settle() to see it in."""
        if self._closed:
            raise IllegalStateError("this GroupMembers is closed")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise IllegalArgumentError(
                f"member name {name!r}: use letters, digits, '_' and '.' (it is the client_id)"
            )
        if name in self._members:
            raise IllegalStateError(f"member {name!r} is already in the group")
        config = dict(self._config, group_id=self.group_id, client_id=name)
        if self.static:
            config["group_instance_id"] = name
        consumer = self.cluster.consumer(**config)
        recorder = _Recorder(self, name) if self._sim else _real_recorder(self, name)
        consumer.subscribe(topics=[self.topic], listener=recorder)
        member = _Member(name, consumer, recorder)
        self._members[name] = member
        if not self._sim:
            member.thread = threading.Thread(
                target=self._poll_loop, args=(member,), name=f"GroupMembers-{name}", daemon=True
            )
            member.thread.start()

    def restart(self, name: str) -> None:
        """A new consumer under a stopped member's name (the same group_instance_id if static)."""
        if name in self._members:
            raise IllegalStateError(f"member {name!r} is still running: leave or crash it first")
        self.join(name)

    def leave(self, name: str) -> None:
        """Member ``name`` closes: revokes its partitions and sends LeaveGroup (no commit).

        A static member sends no LeaveGroup (Kafka's rule): the group waits for its session.
        """
        member = self._members.pop(self._member(name).name)
        try:
            self._stop_thread(member)
        finally:  # even if its poll thread is stuck, the consumer is closed
            member.consumer.close(autocommit=False)

    def crash(self, name: str) -> None:
        """Member ``name``'s process dies: no commit, no LeaveGroup, no more heartbeats."""
        member = self._members.pop(self._member(name).name)
        member.recorder.muted = True
        try:
            self._stop_thread(member)
        finally:  # even if its poll thread is stuck, the member dies
            if self._sim:
                member.consumer.crash()
            else:
                # See the module docstring: stop heartbeating, forget the member id so that
                # close() sends no LeaveGroup, then close the connections.
                coordinator = member.consumer._client._coordinator
                coordinator._close_heartbeat()
                coordinator.reset_generation()
                member.consumer.close(autocommit=False)

    # -- the real side's poll threads ----------------------------------------------------------
    def _poll_loop(self, member: _Member) -> None:
        while not member.stop.is_set():
            try:
                member.consumer.poll(timeout_ms=POLL_MS)
            except BaseException as exc:  # reported by settle(), in the caller's thread
                member.error = exc
                return

    def _stop_thread(self, member: _Member) -> None:
        if member.thread is None:
            return
        member.stop.set()
        member.thread.join(timeout=self.cluster.timeout_s)
        if member.thread.is_alive():
            raise KafkaTimeoutError(f"member {member.name!r}'s poll thread did not stop")

    # -- settling ------------------------------------------------------------------------------
    def settle(self, timeout_s: float = 30.0) -> None:
        """Wait until the group is exactly the live members, each with its final assignment.

        On the simulator ``timeout_s`` is simulated time (the clock moves on in 100 ms steps
        while members are missing or extra, e.g. until a crashed member's session expires);
        on a real broker it is the wall clock. Raises KafkaTimeoutError when it runs out.
        """
        if self._sim:
            self._settle_sim(int(timeout_s * 1000))
        else:
            self._settle_real(timeout_s)

    def _settle_sim(self, timeout_ms: int) -> None:
        cluster = self.cluster
        deadline = cluster.now_ms + timeout_ms
        consumers = [m.consumer for m in self._members.values()]
        while True:
            if consumers:
                try:
                    cluster.settle(*consumers)
                except IllegalArgumentError:
                    # The join waits for a member that is gone (crashed, its session still
                    # running): as a broker does, wait for the session to expire.
                    if cluster.now_ms >= deadline:
                        raise KafkaTimeoutError(
                            self._timeout_message(timeout_ms / 1000, set())
                        ) from None
                    cluster.advance(min(SIM_STEP_MS, deadline - cluster.now_ms))
                    continue
            in_group = set(cluster.coordinator.group(self.group_id).members)
            if in_group == {c.member_id for c in consumers}:
                return
            if cluster.now_ms >= deadline:
                raise KafkaTimeoutError(self._timeout_message(timeout_ms / 1000, in_group))
            cluster.advance(min(SIM_STEP_MS, deadline - cluster.now_ms))

    def _settle_real(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            for m in self._members.values():
                if m.error is not None:
                    raise m.error
            if self._real_stable():
                return
            if time.monotonic() > deadline:
                raise KafkaTimeoutError(self._timeout_message(timeout_s, self._real_member_ids()))
            time.sleep(0.1)

    def _real_member_ids(self) -> set[str]:
        admin = self.cluster._internal_admin()
        with admin._errors():
            described = admin._client.describe_groups([self.group_id])
        return {m["member_id"] for m in described.get(self.group_id, {}).get("members", [])}

    def _real_stable(self) -> bool:
        consumers = [m.consumer for m in self._members.values()]
        if not consumers:
            return not self._real_member_ids()
        return self.cluster._settled(consumers)

    def _timeout_message(self, timeout_s: float, in_group: set[str]) -> str:
        return (
            f"group {self.group_id!r} did not settle in {timeout_s:g} s: live members "
            f"{self.names}, the coordinator has {len(in_group)} member(s)"
        )

    # -- the table -----------------------------------------------------------------------------
    def ownership(self) -> pd.DataFrame:
        """Who owns each partition now: ``generation, partition, owner`` (names), by partition."""
        import pandas as pd

        rows = [
            (m.consumer.generation, p, name)
            for name, m in self._members.items()
            for p in self.assignment(name)
        ]
        frame = pd.DataFrame(
            sorted(rows, key=lambda r: r[1]), columns=["generation", "partition", "owner"]
        )
        return frame

    # -- ending --------------------------------------------------------------------------------
    def close(self) -> None:
        """Every live member leaves (closes); poll threads are stopped and joined."""
        if self._closed:
            return
        self._closed = True
        problems = []
        for name in list(self._members):
            member = self._members.pop(name)
            try:
                self._stop_thread(member)
                member.consumer.close(autocommit=False)
            except Exception as exc:
                problems.append(exc)
        if problems:
            raise problems[0]

    def __enter__(self) -> GroupMembers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        backend = "sim" if self._sim else "kafka"
        return f"GroupMembers({self.group_id!r}, {backend}, live={self.names})"
