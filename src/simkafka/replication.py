"""Replication: brokers, a leader and followers per partition, the ISR and the high watermark.

Opt in with ``SimCluster(brokers=3)``; a topic's ``replication_factor`` then places that many
replicas on distinct brokers. What is modelled, as Kafka 4.3 (KRaft, combined broker +
controller nodes) does it:

- Every broker is also a controller voter: the controller acts only while a majority of the
  nodes runs (not down, not paused).
- A follower that runs copies the leader's new records at once (fetch latency is zero); one
  that is down or paused copies nothing. The leader drops a follower from the ISR when it has
  not caught up for ``replica.lag.time.max.ms`` (checked every half of it, as Kafka's
  isr-expiration task); a follower that catches up again rejoins.
- The controller fences a broker ``broker.session.timeout.ms`` after its last heartbeat (from
  the moment a quorum is back, if there was none), removes it from every ISR and elects new
  leaders; a controlled shutdown (``stop_broker``) does all that at once.
- The high watermark is the smallest log end offset over the ISR, and does not advance while
  the ISR is smaller than ``min.insync.replicas`` (the "strict min ISR" rule of KIP-966,
  unconditional in 4.x). Consumers read only below it.
- ``acks=all`` is refused with NotEnoughReplicasError when the ISR is smaller than
  ``min.insync.replicas`` at append; otherwise it completes when the high watermark passes it
  (NotEnoughReplicasAfterAppendError if the ISR shrank meanwhile, RequestTimedOutError after
  ``request_timeout_ms``). ``acks=1`` completes when the leader has it; ``acks=0`` at once.
- Elections, as the controller's PartitionChangeBuilder: the first replica (in assignment
  order) that is in the ISR and unfenced; when the ISR is empty, one from the eligible leader
  replicas (ELR, KIP-966, on by default for clusters formatted by 4.1+); when both are empty,
  the last leader if it is back; else, only if ``unclean.leader.election.enable``, any
  unfenced replica, which may lose acknowledged records. A broker that crashed (SIGKILL) leaves
  the ELR when it registers again, as the controller then learns its shutdown was unclean.
  A follower of a new leader truncates its log to where the two agree (by leader epoch).

>>> from simkafka import SimCluster
>>> cluster = SimCluster(seed=1, brokers=3)
>>> cluster.create_topic("payments", partitions=1, replication_factor=3,
...                      config={"min.insync.replicas": "2"})
>>> producer = cluster.producer(acks="all", retries=0)
>>> producer.send("payments", value=b"p-1").get().offset
0
>>> row = cluster.replicas("payments").iloc[0]
>>> leader, isr = int(row.leader), list(row.isr)
>>> cluster.stop_broker(leader)           # a controlled shutdown: leadership moves at once
>>> row = cluster.replicas("payments").iloc[0]
>>> int(row.leader) != leader, len(row.isr)
(True, 2)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import (
    IllegalArgumentError,
    InvalidReplicationFactorError,
    NotEnoughReplicasAfterAppendError,
    NotEnoughReplicasError,
    NotLeaderForPartitionError,
    RequestTimedOutError,
)
from .records import TopicPartition

if TYPE_CHECKING:
    import pandas as pd

    from .cluster import SimCluster
    from .log import PartitionLog

#: Kafka's defaults; the course's three-node cluster lowers the first two (docs/brokers.md).
BROKER_SESSION_TIMEOUT_MS = 9000
REPLICA_LAG_TIME_MAX_MS = 30000

#: Columns of ``SimCluster.replicas(topic)``, the same from RealCluster.
REPLICAS_COLUMNS = (
    "partition",
    "leader",
    "leader_epoch",
    "replicas",
    "isr",
    "elr",
    "high_watermark",
)

UP, DOWN, PAUSED = "up", "down", "paused"


@dataclass
class Broker:
    """One node: broker and controller voter. ``state`` is up, down or paused."""

    id: int
    state: str = UP
    fenced: bool = False
    last_heartbeat_ms: int = 0
    #: it went down with SIGKILL and has not registered since (the controller keeps it out of ELR)
    unclean_shutdown: bool = False


@dataclass
class PartitionReplicas:
    """One partition's replicas: who leads, who is in sync, and each replica's log by epoch.

    A replica's log is the list of leader epochs of its records, one per offset: two replicas
    hold the same record at an offset exactly when they hold the same epoch there (one leader
    writes each epoch), which is how Kafka's followers find where to truncate.
    """

    tp: TopicPartition
    replicas: list[int]
    min_isr: int
    unclean: bool
    leader: int | None
    leader_epoch: int = 0
    isr: list[int] = field(default_factory=list)
    elr: list[int] = field(default_factory=list)
    #: the leader when the ISR became empty (KIP-966's LastKnownElr): electable if it returns
    last_known_leader: int | None = None
    high_watermark: int = 0
    logs: dict[int, list[int]] = field(default_factory=dict)
    #: the epochs of the records the partition's log (what consumers read) holds: its leader's
    served: list[int] = field(default_factory=list)
    last_caught_up_ms: dict[int, int] = field(default_factory=dict)

    @property
    def effective_min_isr(self) -> int:
        """min.insync.replicas capped at the replication factor (Partition.effectiveMinIsr)."""
        return min(self.min_isr, len(self.replicas))

    def leo(self, broker: int) -> int:
        return len(self.logs[broker])


@dataclass
class _Pending:
    """An acks=all batch in the leader's purgatory, waiting for the high watermark."""

    batch: Any
    tp: TopicPartition
    required_offset: int
    deadline_ms: int


def _flag(raw: object) -> bool:
    text = str(raw).strip().lower()
    if text not in ("true", "false"):
        raise IllegalArgumentError(f"expected true or false, got {raw!r}")
    return text == "true"


class Replication:
    """The brokers of a SimCluster, the controller's decisions, and every partition's replicas."""

    def __init__(
        self,
        cluster: SimCluster,
        brokers: int,
        *,
        broker_session_timeout_ms: int = BROKER_SESSION_TIMEOUT_MS,
        replica_lag_time_max_ms: int = REPLICA_LAG_TIME_MAX_MS,
        eligible_leader_replicas: bool = True,
    ) -> None:
        if brokers < 1:
            raise IllegalArgumentError(f"a cluster needs at least 1 broker, got {brokers}")
        self.cluster = cluster
        self.brokers = {
            n: Broker(n, last_heartbeat_ms=cluster.now_ms) for n in range(1, brokers + 1)
        }
        self.session_timeout_ms = broker_session_timeout_ms
        self.lag_time_max_ms = replica_lag_time_max_ms
        self.elr_enabled = eligible_leader_replicas
        self.partitions: dict[TopicPartition, PartitionReplicas] = {}
        self._topics: dict[str, tuple[int, dict]] = {}
        self._payloads: dict[TopicPartition, dict[tuple[int, int], tuple]] = {}
        self._pending: list[_Pending] = []
        self._quorum_since = cluster.now_ms
        self._isr_check_period = max(1, replica_lag_time_max_ms // 2)
        self._next_isr_check = cluster.now_ms + self._isr_check_period

    # -- the controller quorum -------------------------------------------------------------------
    def has_quorum(self) -> bool:
        """Whether a majority of the voters (every node) runs."""
        running = sum(b.state == UP for b in self.brokers.values())
        return running > len(self.brokers) // 2

    def _broker(self, broker_id: int) -> Broker:
        if broker_id not in self.brokers:
            raise IllegalArgumentError(
                f"there is no broker {broker_id}; the brokers are {', '.join(map(str, self.brokers))}"
            )
        return self.brokers[broker_id]

    def _acceptable(self, broker_id: int) -> bool:
        """A leader must run and be unfenced (the controller's isAcceptableLeader)."""
        b = self.brokers[broker_id]
        return b.state == UP and not b.fenced

    # -- topics ---------------------------------------------------------------------------------
    def check_replication_factor(self, replication_factor: int) -> int:
        """The replication factor to use (-1: 1, Kafka's default.replication.factor)."""
        rf = 1 if replication_factor == -1 else replication_factor
        live = sum(not b.fenced for b in self.brokers.values())
        if rf > live:
            raise InvalidReplicationFactorError(
                f"replication factor {rf} is larger than the {live} available broker(s): "
                f"use replication_factor={min(3, live)} or fewer"
            )
        return rf

    def add_topic(self, topic: str, partitions: range, rf: int, config: dict | None) -> None:
        """Place ``rf`` replicas of each partition on distinct unfenced brokers, striped."""
        rf = self.check_replication_factor(rf)
        config = config or {}
        self._topics[topic] = (rf, config)
        min_isr = int(config.get("min.insync.replicas", 1))
        unclean = _flag(config.get("unclean.leader.election.enable", "false"))
        ids = [b for b, broker in self.brokers.items() if not broker.fenced]
        start = self.cluster.rng.randrange(len(ids))
        for p in partitions:
            replicas = [ids[(start + p + j) % len(ids)] for j in range(rf)]
            tp = TopicPartition(topic, p)
            self.partitions[tp] = PartitionReplicas(
                tp,
                replicas,
                min_isr,
                unclean,
                leader=replicas[0],
                isr=list(replicas),
                logs={r: [] for r in replicas},
                last_caught_up_ms={r: self.cluster.now_ms for r in replicas},
            )
            self._payloads[tp] = {}
            self.cluster.log(tp).replicated = self.partitions[tp]

    def add_partitions(self, topic: str, partitions: range) -> None:
        rf, config = self._topics[topic]
        self.add_topic(topic, partitions, rf, config)

    def remove_topic(self, topic: str) -> None:
        self._topics.pop(topic, None)
        for tp in [tp for tp in self.partitions if tp.topic == topic]:
            del self.partitions[tp]
            del self._payloads[tp]
        self._pending = [p for p in self._pending if p.tp.topic != topic]

    def high_watermark(self, tp: TopicPartition) -> int:
        return self.partitions[tp].high_watermark

    # -- produce ----------------------------------------------------------------------------------
    def check_produce(self, tp: TopicPartition, acks: int) -> None:
        """Raise as the leader would refuse a produce request, before anything is appended."""
        part = self.partitions[tp]
        if part.leader is None:
            raise NotLeaderForPartitionError(
                f"{tp.topic}-{tp.partition} has no leader (replicas {part.replicas}, none "
                "eligible is up): start a broker that holds it"
            )
        if self.brokers[part.leader].state != UP:
            raise RequestTimedOutError(
                f"{tp.topic}-{tp.partition}'s leader, broker {part.leader}, does not answer "
                f"(it is {self.brokers[part.leader].state}); the controller has not fenced it yet"
            )
        if acks == -1 and len(part.isr) < part.effective_min_isr:
            raise NotEnoughReplicasError(
                f"the ISR {part.isr} of {tp.topic}-{tp.partition} is smaller than "
                f"min.insync.replicas={part.min_isr}, so acks=all is refused: bring a replica "
                "back, or accept fewer copies (a lower min.insync.replicas, or acks=1)"
            )

    def appended(self, log: PartitionLog, base: int, count: int) -> None:
        """The leader appended ``count`` records at ``base``: copy them to running followers."""
        tp = TopicPartition(log.topic, log.partition)
        part = self.partitions[tp]
        payloads = self._payloads[tp]
        for r in log.read(base, count):
            payloads[(part.leader_epoch, r.offset)] = (r.timestamp, r.key, r.value, r.headers)
        part.logs[part.leader].extend([part.leader_epoch] * count)
        part.served.extend([part.leader_epoch] * count)
        part.last_caught_up_ms[part.leader] = self.cluster.now_ms
        self._replicate(part)

    def wait_for_acks(self, batch: Any, tp: TopicPartition, request_timeout_ms: int) -> bool:
        """For acks=all: True if done already; else the batch waits in purgatory."""
        required = batch.base_offset + len(batch)
        if self._acks_result(self.partitions[tp], required, batch):
            return True
        self._pending.append(
            _Pending(batch, tp, required, self.cluster.now_ms + request_timeout_ms)
        )
        return False

    def _acks_result(self, part: PartitionReplicas, required: int, batch: Any) -> bool:
        """Complete ``batch`` if the high watermark reached ``required`` (Partition's check)."""
        if part.high_watermark < required:
            return False
        if len(part.isr) < part.effective_min_isr:
            batch.fail(
                NotEnoughReplicasAfterAppendError(
                    f"the records reached {part.tp.topic}-{part.tp.partition}'s log but the ISR "
                    f"{part.isr} shrank below min.insync.replicas={part.min_isr} meanwhile"
                )
            )
        else:
            batch.complete()
        return True

    def _check_pending(self) -> None:
        now = self.cluster.now_ms
        still = []
        for p in self._pending:
            part = self.partitions.get(p.tp)
            if part is None:
                continue
            if self._acks_result(part, p.required_offset, p.batch):
                continue
            if now >= p.deadline_ms:
                p.batch.fail(
                    RequestTimedOutError(
                        f"acks=all: the ISR {part.isr} of {p.tp.topic}-{p.tp.partition} did not "
                        "all copy the records within request_timeout_ms"
                    )
                )
                continue
            still.append(p)
        self._pending = still

    # -- replication ------------------------------------------------------------------------------
    def _replicate(self, part: PartitionReplicas) -> None:
        """Running followers fetch from a running leader: truncate where they differ, copy."""
        now = self.cluster.now_ms
        leader = part.leader
        if leader is None or self.brokers[leader].state != UP:
            return
        source = part.logs[leader]
        for r in part.replicas:
            if r == leader or self.brokers[r].state != UP:
                continue
            mine = part.logs[r]
            agree = 0
            for a, b in zip(mine, source, strict=False):
                if a != b:
                    break
                agree += 1
            if agree < len(mine):
                self.cluster.record_event(
                    "replica_truncated",
                    topic=part.tp.topic,
                    partition=part.tp.partition,
                    offset=agree,
                    count=len(mine) - agree,
                    member=f"broker-{r}",
                    detail=f"broker {r} truncated {len(mine)} -> {agree} to match leader {leader}",
                )
                del mine[agree:]
            mine.extend(source[len(mine) :])
            part.last_caught_up_ms[r] = now
            if r not in part.isr and len(mine) >= part.high_watermark and self.has_quorum():
                if not self.brokers[r].fenced:
                    self._change_isr(part, [*part.isr, r], "isr_expanded", f"broker {r} caught up")
        self._advance_hw(part)

    def _advance_hw(self, part: PartitionReplicas) -> None:
        if part.leader is None or not part.isr:
            return
        if len(part.isr) < part.effective_min_isr:
            return  # strict min ISR: the high watermark waits
        hw = min(part.leo(r) for r in part.isr)
        if hw > part.high_watermark:
            part.high_watermark = hw

    def _change_isr(self, part: PartitionReplicas, isr: list[int], event: str, why: str) -> None:
        """Set the ISR as the controller does, keeping the ELR (KIP-966) up to date."""
        old = part.isr
        ordered = [r for r in part.replicas if r in isr]
        if self.elr_enabled:
            if len(ordered) >= part.effective_min_isr:
                part.elr = []
            else:
                candidates = set(part.elr) | set(old)
                # A crashed broker stays eligible until it registers again, saying its last
                # shutdown was unclean: only then does the controller know (see _controller_turn).
                part.elr = [r for r in part.replicas if r in candidates and r not in ordered]
            if not ordered and part.last_known_leader is None:
                part.last_known_leader = part.leader
        elif not ordered:
            ordered = old[:1]  # without ELR the ISR is never empty: it keeps its last member
        part.isr = ordered
        self.cluster.record_event(
            event,
            topic=part.tp.topic,
            partition=part.tp.partition,
            count=len(ordered),
            detail=f"ISR {old} -> {ordered} ({why})" + (f"; ELR {part.elr}" if part.elr else ""),
        )
        self._advance_hw(part)

    def _elect(self, part: PartitionReplicas, why: str) -> None:
        """Elect a leader as the controller's electAnyLeader does, if the current one is not valid."""
        if part.leader is not None and part.leader in part.isr and self._acceptable(part.leader):
            return
        old = part.leader
        how = None
        for r in part.replicas:
            if not self._acceptable(r):
                continue
            if r in part.isr:
                how = "clean"
            elif not part.isr and r in part.elr:
                how = "ELR"
            else:
                continue
            new = r
            break
        else:
            candidates = [r for r in part.replicas if self._acceptable(r)]
            last = part.last_known_leader
            if not part.isr and not part.elr and last is not None and self._acceptable(last):
                new, how = last, "last known leader"
            elif part.unclean and candidates:
                new, how = candidates[0], "unclean"
            else:
                new = None
        if new == old:
            return
        part.leader = new
        if new is None:
            self.cluster.record_event(
                "leader_lost",
                topic=part.tp.topic,
                partition=part.tp.partition,
                detail=f"no eligible replica is up (ISR {part.isr}, ELR {part.elr}); {why}",
            )
            return
        part.leader_epoch += 1
        part.last_known_leader = None
        if how == "ELR":
            part.isr = [new]
            part.elr = [r for r in part.elr if r != new]
        elif how in ("unclean", "last known leader"):
            part.isr = [new]
            part.elr = []
        self._become_leader(part)
        self.cluster.record_event(
            "leader_elected",
            topic=part.tp.topic,
            partition=part.tp.partition,
            offset=part.leo(new),
            generation=part.leader_epoch,
            member=f"broker-{new}",
            detail=f"{how} election: leader {old} -> {new} ({why})",
        )

    def _become_leader(self, part: PartitionReplicas) -> None:
        """The partition's log (what consumers read) becomes the new leader's."""
        log = self.cluster.log(part.tp)
        mine = part.logs[part.leader]
        agree = 0
        for a, b in zip(part.served, mine, strict=False):
            if a != b:
                break
            agree += 1
        if agree < log.log_end_offset:
            log.truncate_to(agree)
        payloads = self._payloads[part.tp]
        for offset in range(log.log_end_offset, len(mine)):
            ts, key, value, headers = payloads[(mine[offset], offset)]
            log.append([(key, value, list(headers or []), ts)], now_ms=self.cluster.now_ms)
        part.served = list(mine)
        part.high_watermark = min(part.high_watermark, len(mine))
        self._replicate(part)

    # -- what happens to brokers ---------------------------------------------------------------------
    def stop_broker(self, broker_id: int, *, kill: bool = False) -> None:
        """Stop a broker: a controlled shutdown (leaders move first), or ``kill`` (a crash)."""
        b = self._broker(broker_id)
        if b.state == DOWN:
            return
        controlled = not kill and self.has_quorum()
        b.state = DOWN
        b.last_heartbeat_ms = self.cluster.now_ms
        # Without a quorum a controlled shutdown cannot finish: the launcher kills the node
        # after 30 s, so it ends as a crash.
        b.unclean_shutdown = not controlled
        if kill:
            detail = "SIGKILL"
        elif controlled:
            detail = "controlled shutdown"
        else:
            detail = "no quorum to shut down with: killed"
        self.cluster.record_event(
            "broker_stopped" if controlled else "broker_killed",
            member=f"broker-{broker_id}",
            detail=detail,
        )
        self._quorum_changed()
        if controlled:
            self._fence(b, "controlled shutdown")

    def pause_broker(self, broker_id: int) -> None:
        """Freeze a broker (SIGSTOP): no fetches, no heartbeats, its log kept as it is."""
        b = self._broker(broker_id)
        if b.state != UP:
            raise IllegalArgumentError(f"broker {broker_id} is {b.state}, not running")
        b.state = PAUSED
        b.last_heartbeat_ms = self.cluster.now_ms
        self.cluster.record_event("broker_paused", member=f"broker-{broker_id}")
        self._quorum_changed()

    def resume_broker(self, broker_id: int) -> None:
        """Thaw a paused broker (SIGCONT): it heartbeats and fetches again."""
        b = self._broker(broker_id)
        if b.state != PAUSED:
            raise IllegalArgumentError(f"broker {broker_id} is {b.state}, not paused")
        self._come_up(b, "broker_resumed")

    def start_broker(self, broker_id: int) -> None:
        """Start a stopped broker: it registers, truncates and catches up as a follower."""
        b = self._broker(broker_id)
        if b.state != DOWN:
            raise IllegalArgumentError(f"broker {broker_id} is {b.state}, not stopped")
        self._come_up(b, "broker_started")

    def _come_up(self, b: Broker, event: str) -> None:
        b.state = UP
        b.last_heartbeat_ms = self.cluster.now_ms
        self.cluster.record_event(event, member=f"broker-{b.id}")
        self._quorum_changed()
        self._controller_turn()

    def _quorum_changed(self) -> None:
        if self.has_quorum() and self._quorum_since is None:
            self._quorum_since = self.cluster.now_ms
        elif not self.has_quorum():
            self._quorum_since = None

    def _fence(self, b: Broker, why: str) -> None:
        b.fenced = True
        self.cluster.record_event("broker_fenced", member=f"broker-{b.id}", detail=why)
        for part in self.partitions.values():
            if b.id not in part.replicas:
                continue
            if b.id in part.isr:
                self._change_isr(
                    part, [r for r in part.isr if r != b.id], "isr_shrunk", f"broker {b.id} fenced"
                )
            if part.leader == b.id or part.leader is None:
                self._elect(part, f"broker {b.id} fenced")

    def _controller_turn(self) -> None:
        """What the controller does when it can: register running brokers, fence silent ones."""
        if not self.has_quorum():
            return
        for b in self.brokers.values():
            if b.state == UP and b.fenced:
                b.fenced = False
                if b.unclean_shutdown:  # it registers saying its last shutdown was unclean
                    b.unclean_shutdown = False
                    for part in self.partitions.values():
                        part.elr = [r for r in part.elr if r != b.id]
                self.cluster.record_event("broker_unfenced", member=f"broker-{b.id}")
                for part in self.partitions.values():
                    if part.leader is None and b.id in part.replicas:
                        self._elect(part, f"broker {b.id} registered")
        for part in self.partitions.values():
            self._replicate(part)
        for broker_id, when in self._fence_deadlines().items():
            if self.cluster.now_ms >= when:
                self._fence(self.brokers[broker_id], "session timed out")

    def _fence_deadlines(self) -> dict[int, int]:
        """When the controller fences each silent broker: a session after its last heartbeat,
        or after the quorum came back (a new active controller gives every broker a session)."""
        if self._quorum_since is None:
            return {}
        return {
            b.id: max(b.last_heartbeat_ms, self._quorum_since) + self.session_timeout_ms
            for b in self.brokers.values()
            if b.state != UP and not b.fenced
        }

    # -- timers ---------------------------------------------------------------------------------------
    def next_deadline(self) -> int | None:
        times = list(self._fence_deadlines().values())
        if any(self.brokers[p.leader].state == UP for p in self.partitions.values() if p.leader):
            times.append(self._next_isr_check)
        times += [p.deadline_ms for p in self._pending]
        return min(times) if times else None

    def fire_timers(self) -> None:
        now = self.cluster.now_ms
        self._controller_turn()
        while now >= self._next_isr_check:
            self._isr_expiration()
            self._next_isr_check += self._isr_check_period
        self._check_pending()

    def _isr_expiration(self) -> None:
        """Each running leader drops followers that have not caught up for lag.time.max.ms."""
        now = self.cluster.now_ms
        if not self.has_quorum():
            return  # AlterPartition needs the controller
        for part in self.partitions.values():
            if part.leader is None or self.brokers[part.leader].state != UP:
                continue
            late = [
                r
                for r in part.isr
                if r != part.leader and now - part.last_caught_up_ms[r] > self.lag_time_max_ms
            ]
            if late:
                self._change_isr(
                    part,
                    [r for r in part.isr if r not in late],
                    "isr_shrunk",
                    f"broker(s) {late} not caught up for {self.lag_time_max_ms} ms",
                )

    # -- tables ----------------------------------------------------------------------------------------
    def frame(self, topic: str) -> pd.DataFrame:
        """One row per partition: leader, epoch, replicas, ISR, ELR, high watermark."""
        rows = [
            (
                tp.partition,
                part.leader,
                part.leader_epoch,
                list(part.replicas),
                list(part.isr),
                list(part.elr),
                part.high_watermark,
            )
            for tp, part in sorted(self.partitions.items())
            if tp.topic == topic
        ]
        return replicas_frame(rows)

    def replica_logs(self, topic: str) -> pd.DataFrame:
        """One row per replica: partition, broker, its state, log end offset, leader or not."""
        import pandas as pd

        rows = [
            (
                tp.partition,
                r,
                self.brokers[r].state,
                part.leo(r),
                r == part.leader,
                r in part.isr,
                part.high_watermark,
            )
            for tp, part in sorted(self.partitions.items())
            if tp.topic == topic
            for r in part.replicas
        ]
        return pd.DataFrame(
            rows,
            columns=["partition", "broker", "state", "log_end_offset", "leader", "in_isr", "hw"],
        )

    def brokers_frame(self) -> pd.DataFrame:
        import pandas as pd

        rows = [(b.id, b.state, b.fenced) for b in self.brokers.values()]
        return pd.DataFrame(rows, columns=["broker", "state", "fenced"])


def replicas_frame(rows: list[tuple]) -> pd.DataFrame:
    """The ``replicas`` table from its rows (``leader`` may be unknown: no leader)."""
    import pandas as pd

    df = pd.DataFrame(rows, columns=list(REPLICAS_COLUMNS))
    df["leader"] = df["leader"].astype("Int64")
    return df
