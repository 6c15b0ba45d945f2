"""Properties that hold for any sequence of produce, poll, commit, join, leave, crash and time.

Hypothesis drives a simulated cluster through random steps and checks after each one
that the log and the groups keep Kafka's guarantees.
"""

from collections import defaultdict

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)

from simkafka import SimCluster, TopicPartition

TOPIC = "user-accounts"
PARTITIONS = 4
GROUPS = ("groups-service", "audit-service")
KEYS = [b"acct-%d" % i for i in range(6)]


class ClusterMachine(RuleBasedStateMachine):
    @initialize(
        seed=st.integers(0, 2**16),
        strategy=st.sampled_from(["range", "roundrobin", "sticky", "cooperative-sticky"]),
        auto_commit=st.booleans(),
    )
    def setup(self, seed, strategy, auto_commit):
        self.cluster = SimCluster(seed=seed)
        self.cluster.create_topic(TOPIC, PARTITIONS, config={"retention.ms": "-1"})
        self.producer = self.cluster.producer(linger_ms=5)
        self.strategy = strategy
        self.auto_commit = auto_commit
        self.sent: dict[bytes, int] = defaultdict(int)  # key -> how many sent
        self.consumers = {g: [] for g in GROUPS}
        self.delivered = {g: defaultdict(list) for g in GROUPS}  # group -> tp -> offsets
        self.last_committed: dict[tuple[str, TopicPartition], int] = {}

    def live(self, group):
        return [c for c in self.consumers[group] if not c._closed]

    @rule(key=st.sampled_from(KEYS), n=st.integers(1, 5))
    def produce(self, key, n):
        for _ in range(n):
            seq = self.sent[key]
            self.sent[key] += 1
            self.producer.send(TOPIC, key=key, value=b"%d" % seq)

    @rule(group=st.sampled_from(GROUPS))
    def join(self, group):
        if len(self.live(group)) < 4:
            c = self.cluster.consumer(
                TOPIC,
                group_id=group,
                auto_offset_reset="earliest",
                enable_auto_commit=self.auto_commit,
                auto_commit_interval_ms=1000,
                session_timeout_ms=10_000,
                max_poll_interval_ms=60_000,
                partition_assignment_strategy=[self.strategy],
            )
            self.consumers[group].append(c)

    @rule(group=st.sampled_from(GROUPS), i=st.integers(0, 3), max_records=st.integers(1, 20))
    def poll(self, group, i, max_records):
        live = self.live(group)
        if not live:
            return
        c = live[i % len(live)]
        got = c.poll(timeout_ms=100, max_records=max_records)
        for tp, records in got.items():
            self.delivered[group][tp].extend(r.offset for r in records)

    @rule(group=st.sampled_from(GROUPS), i=st.integers(0, 3))
    def commit(self, group, i):
        live = self.live(group)
        if live:
            try:
                live[i % len(live)].commit()
            except Exception as exc:  # a stale member's commit fails, as in Kafka
                assert type(exc).__name__ in ("CommitFailedError",), exc

    @rule(group=st.sampled_from(GROUPS), i=st.integers(0, 3))
    def leave(self, group, i):
        live = self.live(group)
        if live:
            live[i % len(live)].close()

    @rule(group=st.sampled_from(GROUPS), i=st.integers(0, 3))
    def crash(self, group, i):
        live = self.live(group)
        if live:
            live[i % len(live)].crash()

    @rule(ms=st.sampled_from([1, 100, 1_000, 5_000, 11_000]))
    def advance(self, ms):
        self.cluster.advance(ms)

    @rule(group=st.sampled_from(GROUPS))
    def settle(self, group):
        live = self.live(group)
        if not live:
            return
        self.cluster.advance(11_000)  # let crashed members' sessions run out
        live = self.live(group)
        self.cluster.settle(*live)
        owners = defaultdict(list)
        for c in live:
            for tp in c.assignment():
                owners[tp].append(c.member_id)
        # After a completed rebalance every partition has exactly one owner in the group.
        assert set(owners) == {TopicPartition(TOPIC, p) for p in range(PARTITIONS)}
        assert all(len(m) == 1 for m in owners.values()), owners

    @invariant()
    def log_is_dense_ordered_and_complete(self):
        if not hasattr(self, "cluster"):
            return
        self.producer.flush()
        per_key = defaultdict(list)
        total = 0
        for p in range(PARTITIONS):
            records = self.cluster.log(TopicPartition(TOPIC, p)).all_records()
            assert [r.offset for r in records] == list(range(len(records)))
            total += len(records)
            for r in records:
                per_key[r.key].append((p, int(r.value)))
        assert total == sum(self.sent.values())  # nothing lost, nothing duplicated
        for key, seen in per_key.items():
            assert len({p for p, _ in seen}) == 1  # one key, one partition
            assert [s for _, s in seen] == list(range(self.sent[key]))  # in send order

    @invariant()
    def committed_offsets_never_go_backwards(self):
        if not hasattr(self, "cluster"):
            return
        for group in GROUPS:
            g = self.cluster.coordinator.groups.get(group)
            if g is None:
                continue
            for tp, om in g.offsets.items():
                prev = self.last_committed.get((group, tp), 0)
                assert om.offset >= prev, (group, tp, prev, om.offset)
                self.last_committed[(group, tp)] = om.offset

    @invariant()
    def deliveries_have_no_gaps(self):
        if not hasattr(self, "cluster"):
            return
        for group in GROUPS:
            for tp, offsets in self.delivered[group].items():
                seen = set(offsets)
                # At least once: redelivery may repeat offsets, but none is skipped.
                assert seen == set(range(min(seen), max(seen) + 1)), (group, tp)
                assert min(seen) == 0


TestCluster = ClusterMachine.TestCase
TestCluster.settings = settings(
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
