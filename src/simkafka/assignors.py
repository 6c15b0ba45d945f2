"""Consumer group assignors: which member of a group reads which partitions.

After each rebalance the group leader runs one of these over the members' subscriptions:
``range`` and ``roundrobin`` exactly as Java's assignors, ``sticky`` and
``cooperative-sticky`` following Java's ``AbstractStickyAssignor``. Pure functions.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from heapq import heappop, heappush
from typing import Literal

from .errors import IllegalStateError, KafkaConfigurationError
from .records import TopicPartition

__all__ = ["ASSIGNORS", "Assignment", "assign", "rebalance_protocol"]

#: The assignor names, as ``partition.assignment.strategy`` spells them in Kafka.
ASSIGNORS: tuple[str, ...] = ("range", "roundrobin", "sticky", "cooperative-sticky")

#: member id -> the partitions it owns, sorted by (topic, partition).
Assignment = dict[str, list[TopicPartition]]

_PROTOCOLS: dict[str, Literal["eager", "cooperative"]] = {
    "range": "eager",
    "roundrobin": "eager",
    "sticky": "eager",
    "cooperative-sticky": "cooperative",
}


def rebalance_protocol(strategy: str) -> Literal["eager", "cooperative"]:
    """The rebalance protocol an assignor's members follow.

    ``eager``: every member revokes all its partitions before rejoining, so the whole group
    stops reading during a rebalance. ``cooperative`` (KIP-429): members keep their
    partitions, and only those that move are revoked, then handed over in a follow-up
    rebalance. Java's
    ``CooperativeStickyAssignor`` supports both and the group uses cooperative when every
    member does; the others support eager only.

    >>> rebalance_protocol("range"), rebalance_protocol("cooperative-sticky")
    ('eager', 'cooperative')
    """
    return _PROTOCOLS[_check_strategy(strategy)]


def _check_strategy(strategy: object) -> str:
    if strategy in _PROTOCOLS:
        return strategy  # type: ignore[return-value]
    text = str(strategy)
    squashed = text.lower().replace("-", "").replace("_", "").replace(" ", "")
    aliases = {
        "rangeassignor": "range",
        "rangepartitionassignor": "range",
        "roundrobinassignor": "roundrobin",
        "roundrobinpartitionassignor": "roundrobin",
        "stickyassignor": "sticky",
        "stickypartitionassignor": "sticky",
        "cooperativestickyassignor": "cooperative-sticky",
    }
    hint = next((a for a in ASSIGNORS if a.replace("-", "") == squashed), None)
    hint = hint or aliases.get(squashed.rsplit(".", 1)[-1])
    did_you_mean = f" — did you mean {hint!r}?" if hint else ""
    raise KafkaConfigurationError(
        f"unknown assignor {strategy!r}{did_you_mean} Valid names: {', '.join(ASSIGNORS)}"
    )


def assign(
    strategy: str,
    subscriptions: Mapping[str, Sequence[str]],
    partitions: Mapping[str, int],
    current: Mapping[str, Iterable[tuple[str, int]]] | None = None,
    *,
    group_instance_ids: Mapping[str, str] | None = None,
) -> Assignment:
    """Assign the subscribed topics' partitions to the group's members, as the leader does.

    ``subscriptions``: member id -> topics it subscribes to. ``partitions``: topic ->
    partition count; a subscribed topic missing here (or with 0 partitions) is unknown to
    the cluster and skipped, as Java skips topics without metadata. ``current``: member id
    -> partitions it owned before this rebalance (used by the sticky assignors; members no
    longer in ``subscriptions`` have left). ``group_instance_ids``: member id ->
    ``group.instance.id`` for static members (orders members in range and roundrobin).

    Every member of ``subscriptions`` is in the result, an idle one with an empty list.
    ``cooperative-sticky`` leaves out the partitions that move to a new owner while another
    member still owns them: they are revoked now, and assigning again with this result as
    ``current`` hands them over (with equal subscriptions that second call always settles;
    with unequal ones Java's general algorithm can take a third).

    >>> assign("range", {"c0": ["t0", "t1"], "c1": ["t0", "t1"]}, {"t0": 3, "t1": 3})
    ... # doctest: +NORMALIZE_WHITESPACE
    {'c0': [TopicPartition(topic='t0', partition=0), TopicPartition(topic='t0', partition=1),
            TopicPartition(topic='t1', partition=0), TopicPartition(topic='t1', partition=1)],
     'c1': [TopicPartition(topic='t0', partition=2), TopicPartition(topic='t1', partition=2)]}
    """
    strategy = _check_strategy(strategy)
    subs = _check_subscriptions(subscriptions)
    # Topics in Java's String order; unknown or empty topics are left out.
    topics = sorted({t for ts in subs.values() for t in ts}, key=_java_string_key)
    counts = {t: n for t in topics if (n := partitions.get(t, 0)) > 0}
    order = _member_order(subs, group_instance_ids or {})
    if strategy == "range":
        result = _range(order, subs, counts)
    elif strategy == "roundrobin":
        result = _roundrobin(order, subs, counts)
    else:
        owned = _check_current(current or {}, subs)
        result = _sticky(order, subs, counts, owned, cooperative=strategy == "cooperative-sticky")
    return {m: sorted(result[m]) for m in subscriptions}


# --- input checks and Java's orderings -----------------------------------------------------


def _check_subscriptions(subscriptions: Mapping[str, Sequence[str]]) -> dict[str, frozenset[str]]:
    subs = {}
    for member, topics in subscriptions.items():
        if isinstance(topics, str | bytes):
            raise TypeError(
                f"member {member!r} subscribes to {topics!r}, a single string — give a list "
                f"of topics: {{{member!r}: [{topics!r}]}}"
            )
        subs[member] = frozenset(topics)
    return subs


def _check_current(
    current: Mapping[str, Iterable[tuple[str, int]]], subs: Mapping[str, frozenset[str]]
) -> dict[str, list[TopicPartition]]:
    owned = {}
    for member, tps in current.items():
        if member not in subs:
            continue  # it left the group; the leader never sees its subscription
        seen: dict[TopicPartition, None] = {}
        for tp in tps:
            topic, partition = tp
            seen[TopicPartition(topic, partition)] = None
        owned[member] = list(seen)
    return owned


def _java_string_key(s: str) -> bytes:
    # Java's String.compareTo compares UTF-16 code units; big-endian UTF-16 bytes sort alike.
    return s.encode("utf-16-be", "surrogatepass")


def _member_order(subs: Mapping[str, frozenset[str]], instance_ids: Mapping[str, str]) -> list[str]:
    """Members in Java's ``MemberInfo`` order: static members first, by group.instance.id,
    then dynamic ones by member id (``AbstractPartitionAssignor.MemberInfo.compareTo``)."""

    def key(member: str) -> tuple[int, bytes]:
        instance = instance_ids.get(member)
        if instance is not None:
            return (0, _java_string_key(instance))
        return (1, _java_string_key(member))

    return sorted(subs, key=key)


# --- range and roundrobin ------------------------------------------------------------------


def _range(
    order: list[str], subs: Mapping[str, frozenset[str]], counts: Mapping[str, int]
) -> dict[str, list[TopicPartition]]:
    # Java's RangeAssignor, without racks: per topic, partitions in order and members in
    # MemberInfo order; the first (partitions % members) members get one extra.
    result: dict[str, list[TopicPartition]] = {m: [] for m in order}
    for topic, n in counts.items():
        members = [m for m in order if topic in subs[m]]
        per_member, extra = divmod(n, len(members))
        start = 0
        for i, member in enumerate(members):
            size = per_member + (1 if i < extra else 0)
            result[member].extend(TopicPartition(topic, p) for p in range(start, start + size))
            start += size
    return result


def _roundrobin(
    order: list[str], subs: Mapping[str, frozenset[str]], counts: Mapping[str, int]
) -> dict[str, list[TopicPartition]]:
    # Java's RoundRobinAssignor: all partitions sorted by topic then partition, dealt to the
    # members in a circle; a member not subscribed to the partition's topic is skipped.
    result: dict[str, list[TopicPartition]] = {m: [] for m in order}
    i = 0
    for topic, n in counts.items():
        for p in range(n):
            while topic not in subs[order[i]]:
                i = (i + 1) % len(order)
            result[order[i]].append(TopicPartition(topic, p))
            i = (i + 1) % len(order)
    return result


# --- sticky and cooperative-sticky ---------------------------------------------------------


def _sticky(
    order: list[str],
    subs: Mapping[str, frozenset[str]],
    counts: Mapping[str, int],
    current: Mapping[str, list[TopicPartition]],
    *,
    cooperative: bool,
) -> dict[str, list[TopicPartition]]:
    """Java's AbstractStickyAssignor.assignPartitions (without racks), plus the cooperative cut.

    Where Java iterates a HashMap or HashSet (whose order depends on hash codes), this
    iterates members in MemberInfo order and sets in insertion order, so the result is
    deterministic; it can differ from Java's in which member keeps or gets which partition,
    never in how many each member gets or how many stay put.
    """
    if not order:
        return {}
    owned, multiply_claimed = _owned_partitions(order, counts, current)
    if len(set(subs.values())) == 1:
        builder = _ConstrainedAssignment(order, counts, owned, multiply_claimed)
        result = builder.build()
        transferring = builder.transferring
    else:
        result = _GeneralAssignment(order, subs, counts, owned).build()
        transferring = None
    if cooperative:
        if transferring is None:
            transferring = _transferring_ownership(result, current)
        # Following the cooperative protocol, a partition that changes owner is first only
        # revoked from the old owner; the new owner gets it in the next rebalance.
        for tp, member in transferring.items():
            result[member].remove(tp)
    return result


def _owned_partitions(
    order: list[str],
    counts: Mapping[str, int],
    current: Mapping[str, list[TopicPartition]],
) -> tuple[dict[str, list[TopicPartition]], set[TopicPartition]]:
    """Each member's still-valid owned partitions; a partition two members claim (in the same
    generation) is taken from both, as Java's allSubscriptionsEqual does."""
    owned: dict[str, list[TopicPartition]] = {m: [] for m in order}
    owner: dict[TopicPartition, str] = {}
    multiply_claimed: set[TopicPartition] = set()
    for member in order:
        for tp in current.get(member, ()):
            if not 0 <= tp.partition < counts.get(tp.topic, 0):
                continue  # the topic is gone, unknown, or has no such partition
            other = owner.get(tp)
            if other is None:
                owned[member].append(tp)
                owner[tp] = member
            else:
                multiply_claimed.add(tp)
                if tp in owned[other]:
                    owned[other].remove(tp)
                owner[tp] = member
    return owned, multiply_claimed


def _transferring_ownership(
    result: Mapping[str, list[TopicPartition]], current: Mapping[str, list[TopicPartition]]
) -> dict[TopicPartition, str]:
    """CooperativeStickyAssignor.computePartitionsTransferringOwnership: partitions newly
    assigned to one member that some other member owned and now loses."""
    added: dict[TopicPartition, str] = {}
    revoked: set[TopicPartition] = set()
    for member, assigned in result.items():
        owned = set(current.get(member, ()))
        assigned_set = set(assigned)
        added.update((tp, member) for tp in assigned if tp not in owned)
        revoked.update(tp for tp in owned if tp not in assigned_set)
    return {tp: member for tp, member in added.items() if tp in revoked}


class _ConstrainedAssignment:
    """Java's ConstrainedAssignmentBuilder: the fast path when all subscriptions are equal.

    1. Each member keeps its owned partitions up to its quota: ``minQuota`` for all, and
       ``maxQuota`` for the first ``total % members`` members that owned that many.
    2. The remaining partitions are dealt round-robin to the members under ``minQuota``,
       then one each to members at ``minQuota`` until ``total % members`` have ``maxQuota``.
    """

    def __init__(
        self,
        order: list[str],
        counts: Mapping[str, int],
        owned: Mapping[str, list[TopicPartition]],
        multiply_claimed: set[TopicPartition],
    ) -> None:
        self.order = order
        self.rank = {m: i for i, m in enumerate(sorted(order, key=_java_string_key))}
        self.counts = counts
        self.owned = owned
        self.multiply_claimed = multiply_claimed
        total = sum(counts.values())
        self.min_quota, self.expected_over_min = divmod(total, len(order))
        self.max_quota = self.min_quota + (1 if self.expected_over_min else 0)
        self.current_over_min = 0
        self.assignment: dict[str, list[TopicPartition]] = {m: [] for m in order}
        self.maybe_revoked: dict[TopicPartition, str] = {}
        self.transferring: dict[TopicPartition, str] = {}

    def build(self) -> dict[str, list[TopicPartition]]:
        unfilled_under, unfilled_exact, kept = self._assign_owned()
        unassigned = [
            tp
            for topic, n in self.counts.items()
            for p in range(n)
            if (tp := TopicPartition(topic, p)) not in kept
        ]
        unfilled_under.sort(key=self.rank.__getitem__)
        unfilled_exact.sort(key=self.rank.__getitem__)
        self._assign_round_robin(unassigned, unfilled_under, deque(unfilled_exact))
        return self.assignment

    def _assign_owned(self) -> tuple[list[str], list[str], set[TopicPartition]]:
        under: list[str] = []
        exact: list[str] = []
        kept: set[TopicPartition] = set()
        for member in self.order:
            # Java keeps the lowest partition numbers first (sorted by partition, then topic).
            owned = sorted(self.owned[member], key=lambda tp: (tp.partition, tp.topic))
            if len(owned) < self.min_quota:
                keep = owned
                under.append(member)
            elif len(owned) >= self.max_quota and self.current_over_min < self.expected_over_min:
                keep = owned[: self.max_quota]
                self.current_over_min += 1
                if self.current_over_min == self.expected_over_min:
                    exact.clear()
            else:
                keep = owned[: self.min_quota]
                if self.current_over_min < self.expected_over_min:
                    exact.append(member)
            for tp in owned[len(keep) :]:
                self.maybe_revoked[tp] = member
            self.assignment[member].extend(keep)
            kept.update(keep)
        return under, exact, kept

    def _assign_round_robin(
        self, unassigned: list[TopicPartition], under: list[str], exact: deque[str]
    ) -> None:
        # `under` is walked like Java's LinkedList iterator: `pos` is the next index, and a
        # member that reaches minQuota is removed at the cursor and queued in `exact`.
        pos = 0
        for tp in unassigned:
            if pos < len(under):
                member = under[pos]
                pos += 1
            elif not under and not exact:
                raise IllegalStateError("No more unfilled consumers to be assigned.")
            elif not under:
                member = exact.popleft()
            else:
                member = under[0]
                pos = 1
            count = self._assign_new(tp, member)
            if count == self.min_quota:
                del under[pos - 1]
                pos -= 1
                exact.append(member)
            elif count == self.max_quota:
                self.current_over_min += 1
        if under and self.current_over_min != self.expected_over_min:
            raise IllegalStateError(
                "We haven't reached the expected number of members with more than the "
                "minQuota partitions, but no more partitions to be assigned"
            )
        for member in under:
            if len(self.assignment[member]) != self.min_quota:
                raise IllegalStateError(
                    f"Consumer: [{member}] doesn't reach minQuota partitions, "
                    "and no more partitions to be assigned"
                )

    def _assign_new(self, tp: TopicPartition, member: str) -> int:
        members_list = self.assignment[member]
        members_list.append(tp)
        previous = self.maybe_revoked.get(tp)
        if (previous is not None and previous != member) or tp in self.multiply_claimed:
            self.transferring[tp] = member
        return len(members_list)


class _ByLoad:
    """Java's ``TreeSet`` with ``SubscriptionComparator``: members by (assigned count, id).

    As with the TreeSet, a member must be removed before its count changes and re-added after.
    """

    def __init__(self, rank: Mapping[str, int], members_by_rank: Sequence[str]) -> None:
        self.rank = rank
        self.members_by_rank = members_by_rank
        self.keys: list[tuple[int, int]] = []

    def add(self, member: str, count: int) -> None:
        insort(self.keys, (count, self.rank[member]))

    def remove(self, member: str, count: int) -> None:
        key = (count, self.rank[member])
        i = bisect_left(self.keys, key)
        if i < len(self.keys) and self.keys[i] == key:
            del self.keys[i]

    def __len__(self) -> int:
        return len(self.keys)

    def __iter__(self):
        by_rank = self.members_by_rank
        return (by_rank[r] for _, r in self.keys)

    def first(self) -> str:
        return self.members_by_rank[self.keys[0][1]]

    def last(self) -> str:
        return self.members_by_rank[self.keys[-1][1]]


class _PartitionMovements:
    """Java's PartitionMovements: which partitions moved between which members, per topic,
    so that a later move can undo an earlier one instead of moving a second partition."""

    def __init__(self) -> None:
        self.by_topic: dict[str, dict[tuple[str, str], dict[TopicPartition, None]]] = {}
        self.moves: dict[TopicPartition, tuple[str, str]] = {}

    def _remove_record(self, tp: TopicPartition) -> tuple[str, str]:
        pair = self.moves.pop(tp)
        topic_moves = self.by_topic[tp.topic]
        del topic_moves[pair][tp]
        if not topic_moves[pair]:
            del topic_moves[pair]
        if not topic_moves:
            del self.by_topic[tp.topic]
        return pair

    def _add_record(self, tp: TopicPartition, pair: tuple[str, str]) -> None:
        self.moves[tp] = pair
        self.by_topic.setdefault(tp.topic, {}).setdefault(pair, {})[tp] = None

    def move(self, tp: TopicPartition, old: str, new: str) -> None:
        if tp in self.moves:
            src, _ = self._remove_record(tp)
            if src != new:
                self._add_record(tp, (src, new))
        else:
            self._add_record(tp, (old, new))

    def partition_to_move(self, tp: TopicPartition, old: str, new: str) -> TopicPartition:
        topic_moves = self.by_topic.get(tp.topic)
        if topic_moves is None:
            return tp
        if tp in self.moves:
            old = self.moves[tp][0]
        reverse = topic_moves.get((new, old))
        if reverse is None:
            return tp
        return next(iter(reverse))


class _GeneralAssignment:
    """Java's GeneralAssignmentBuilder: any subscriptions, as balanced as they allow.

    1. Keep every owned partition whose topic the member still subscribes to.
    2. Give each unassigned partition to the least-loaded member subscribed to its topic
       (partitions of topics with fewer potential members first).
    3. Move partitions from a member with 2+ more than another subscribed member, until no
       such move is left; undo the moves if they did not improve the balance score.

    Java scans its members (a TreeSet by load) for each of these questions; here per-topic
    heaps answer them, with the same answers, so 1000 members x 10000 partitions stays fast.
    Not modelled: the previous-generation hints (every owned partition here is from the
    same generation) and rack awareness.
    """

    def __init__(
        self,
        order: list[str],
        subs: Mapping[str, frozenset[str]],
        counts: Mapping[str, int],
        owned: Mapping[str, list[TopicPartition]],
    ) -> None:
        members_by_rank = sorted(order, key=_java_string_key)
        self.rank = {m: i for i, m in enumerate(members_by_rank)}
        self.members_by_rank = members_by_rank
        self.subs = subs
        self.counts = counts
        self.topic_members: dict[str, list[str]] = {t: [] for t in counts}
        self.member_topics: dict[str, list[str]] = {}
        for member in order:
            topics = [t for t in counts if t in subs[member]]
            self.member_topics[member] = topics
            for t in topics:
                self.topic_members[t].append(member)
        self.max_size = {m: sum(counts[t] for t in ts) for m, ts in self.member_topics.items()}
        self.current: dict[str, dict[TopicPartition, None]] = {
            m: dict.fromkeys(owned.get(m, ())) for m in order
        }
        self.owner: dict[TopicPartition, str] = {}
        sorted_topics = sorted(
            counts, key=lambda t: (len(self.topic_members[t]), _java_string_key(t))
        )
        self.sorted_partitions = [
            TopicPartition(t, p) for t in sorted_topics for p in range(counts[t])
        ]
        self.by_load = _ByLoad(self.rank, members_by_rank)
        self.movements = _PartitionMovements()
        self.revocation_required = False
        # Per topic, lazily cleaned heaps of (load, rank) entries: every subscribed member,
        # the subscribed members that could still take more, and (load negated) the owners
        # of the topic's partitions. An entry is valid while it matches the member's load.
        self.subscribers: dict[str, list[tuple[int, int]]] = {t: [] for t in counts}
        self.open: dict[str, list[tuple[int, int]]] = {t: [] for t in counts}
        self.owners: dict[str, list[tuple[int, int]]] = {t: [] for t in counts}
        self.owned_in_topic: dict[str, dict[str, int]] = {m: {} for m in order}

    def build(self) -> dict[str, list[TopicPartition]]:
        assigned = self._keep_owned()
        unassigned = [tp for tp in self.sorted_partitions if tp not in assigned]
        for member in self.current:
            self.by_load.add(member, len(self.current[member]))
            self._push_load(member)
        self._balance(unassigned)
        return {m: list(tps) for m, tps in self.current.items()}

    def _keep_owned(self) -> set[TopicPartition]:
        assigned: set[TopicPartition] = set()
        for member, tps in self.current.items():
            for tp in list(tps):
                if tp.topic not in self.subs[member]:
                    # No longer subscribed: it must be revoked before anything else moves.
                    del tps[tp]
                    self.revocation_required = True
                else:
                    assigned.add(tp)
                    self.owner[tp] = member
                    self._count_owned(member, tp.topic, +1)
        return assigned

    def _balance(self, unassigned: list[TopicPartition]) -> None:
        initializing = not self.current[self.by_load.last()]
        for tp in unassigned:
            if self.topic_members[tp.topic]:
                self._give(tp, self._least_loaded(tp.topic))

        # Only topics with two or more potential members, and members that could gain or
        # lose a partition, take part in the reassignment.
        fixed_topics = {t for t, ms in self.topic_members.items() if len(ms) < 2}
        reassignable = [tp for tp in self.sorted_partitions if tp.topic not in fixed_topics]
        unassigned = [tp for tp in unassigned if tp.topic not in fixed_topics]
        fixed: dict[str, dict[TopicPartition, None]] = {}
        for member in list(self.current):
            if not self._can_participate(member, fixed_topics):
                self.by_load.remove(member, len(self.current[member]))
                fixed[member] = self.current.pop(member)

        before = {m: dict(tps) for m, tps in self.current.items()}
        owner_before = dict(self.owner)
        if not self.revocation_required:
            # First try to balance by moving only the partitions that were just assigned.
            self._perform_reassignments(unassigned)
        moved = self._perform_reassignments(reassignable)
        if not initializing and moved and _balance_score(self.current) >= _balance_score(before):
            self.current = before
            self.owner = owner_before
        self.current.update(fixed)

    def _can_participate(self, member: str, fixed_topics: set[str]) -> bool:
        tps = self.current[member]
        if len(tps) < self.max_size[member]:
            return True
        return any(tp.topic not in fixed_topics for tp in tps)

    def _perform_reassignments(self, partitions: list[TopicPartition]) -> bool:
        performed = False
        modified = True
        while modified:
            modified = False
            for tp in partitions:
                if self._is_balanced():
                    break
                member = self.owner[tp]
                least = self._least_loaded(tp.topic)
                if len(self.current[least]) + 1 < len(self.current[member]):
                    # Java's reassignPartition: to the least-loaded subscribed member, but
                    # undoing an earlier opposite move of this topic if there is one.
                    to_move = self.movements.partition_to_move(tp, member, least)
                    self._move(to_move, least)
                    performed = modified = True
        return performed

    def _give(self, tp: TopicPartition, member: str) -> None:
        self.by_load.remove(member, len(self.current[member]))
        self.current[member][tp] = None
        self.owner[tp] = member
        self._count_owned(member, tp.topic, +1)
        self.by_load.add(member, len(self.current[member]))
        self._push_load(member)

    def _move(self, tp: TopicPartition, new: str) -> None:
        old = self.owner[tp]
        self.by_load.remove(old, len(self.current[old]))
        self.by_load.remove(new, len(self.current[new]))
        self.movements.move(tp, old, new)
        del self.current[old][tp]
        self._count_owned(old, tp.topic, -1)
        self.current[new][tp] = None
        self._count_owned(new, tp.topic, +1)
        self.owner[tp] = new
        self.by_load.add(new, len(self.current[new]))
        self.by_load.add(old, len(self.current[old]))
        self._push_load(old)
        self._push_load(new)

    def _count_owned(self, member: str, topic: str, delta: int) -> None:
        counts = self.owned_in_topic[member]
        counts[topic] = counts.get(topic, 0) + delta

    def _push_load(self, member: str) -> None:
        load = len(self.current[member])
        entry = (load, self.rank[member])
        for t in self.member_topics[member]:
            heappush(self.subscribers[t], entry)
            if load < self.max_size[member]:
                heappush(self.open[t], entry)
        for t, n in self.owned_in_topic[member].items():
            if n > 0:
                heappush(self.owners[t], (-load, entry[1]))

    def _top(self, heap: list[tuple[int, int]], topic: str, kind: str) -> str | None:
        """The member at the top of one of ``topic``'s heaps, dropping stale entries first."""
        while heap:
            load, r = heap[0]
            member = self.members_by_rank[r]
            tps = self.current.get(member)  # None for a member that sits out (fixed)
            if tps is not None:
                if kind == "owner":
                    valid = -load == len(tps) and self.owned_in_topic[member].get(topic, 0) > 0
                else:
                    valid = load == len(tps) and (kind == "any" or load < self.max_size[member])
                if valid:
                    return member
            heappop(heap)
        return None

    def _least_loaded(self, topic: str) -> str:
        # The first member, in Java's TreeSet order (load, member id), subscribed to topic.
        member = self._top(self.subscribers[topic], topic, "any")
        assert member is not None, f"no member subscribes to {topic!r}"
        return member

    def _is_balanced(self) -> bool:
        """Java's isBalanced: loads differ by at most one, or no member with fewer than it
        could have can take a partition from a member with two or more than it."""
        low = len(self.current[self.by_load.first()])
        high = len(self.current[self.by_load.last()])
        if low >= high - 1:
            return True
        # A member could take one of topic t's partitions from another iff the most loaded
        # owner of t's partitions has 2+ more than it (its own partitions never qualify).
        for t in self.counts:
            most = self._top(self.owners[t], t, "owner")
            least = self._top(self.open[t], t, "open")
            if most is not None and least is not None:
                if len(self.current[most]) > len(self.current[least]) + 1:
                    return False
        return True


def _balance_score(assignment: Mapping[str, Mapping[TopicPartition, None]]) -> int:
    """Java's getBalanceScore: the sum, over all pairs of members, of their load difference."""
    sizes = sorted(len(tps) for tps in assignment.values())
    n = len(sizes)
    return sum(size * (2 * i - n + 1) for i, size in enumerate(sizes))
