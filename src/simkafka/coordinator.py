"""The group coordinator: consumer-group membership, generations, rebalances, committed offsets.

This models Kafka's classic group protocol (JoinGroup / SyncGroup / Heartbeat /
LeaveGroup / OffsetCommit), the one kafka-python speaks: a rebalance waits until
every known member has rejoined (or its session or rebalance timeout ran out),
then the generation goes up and the leader's assignor hands out partitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import assignors
from .errors import (
    CommitFailedError,
    FencedInstanceIdError,
    InconsistentGroupProtocolError,
    UnknownMemberIdError,
)
from .records import OffsetAndMetadata, TopicPartition

if TYPE_CHECKING:
    from .cluster import SimCluster

EMPTY = "Empty"
PREPARING_REBALANCE = "PreparingRebalance"
COMPLETING_REBALANCE = "CompletingRebalance"
STABLE = "Stable"
DEAD = "Dead"


@dataclass
class Member:
    """What the coordinator knows of one group member."""

    member_id: str
    client_id: str
    group_instance_id: str | None
    topics: list[str]
    protocols: list[str]
    owned: list[TopicPartition]
    session_timeout_ms: int
    rebalance_timeout_ms: int
    last_heartbeat_ms: int
    last_poll_ms: int
    heartbeat_interval_ms: int = 3000
    awaiting_join: bool = True
    alive: bool = True
    missed_heartbeats: int = 0
    assignment: list[TopicPartition] = field(default_factory=list)
    generation: int = -1

    def metadata(self) -> tuple:
        return (tuple(self.topics), tuple(self.protocols), tuple(sorted(self.owned)))


@dataclass
class Group:
    """One consumer group's state, as the coordinator keeps it."""

    group_id: str
    state: str = EMPTY
    generation: int = 0
    protocol: str | None = None
    leader: str | None = None
    members: dict[str, Member] = field(default_factory=dict)
    offsets: dict[TopicPartition, OffsetAndMetadata] = field(default_factory=dict)
    join_deadline_ms: int | None = None
    initial_delay_until_ms: int | None = None
    rebalance_reason: str = ""
    #: member id -> why the coordinator removed it (told to the client at its next call)
    removed: dict[str, str] = field(default_factory=dict)
    #: group.instance.id -> member id of the static member holding it
    static_members: dict[str, str] = field(default_factory=dict)


class GroupCoordinator:
    """Every group of one simulated cluster; called by SimConsumer, driven by the cluster clock."""

    def __init__(self, cluster: SimCluster, initial_rebalance_delay_ms: int = 0) -> None:
        self.cluster = cluster
        self.groups: dict[str, Group] = {}
        self.initial_rebalance_delay_ms = initial_rebalance_delay_ms
        #: members blocked inside poll() right now: a waiting poll keeps max.poll.interval fresh
        self.polling: set[str] = set()

    # -- lookups ---------------------------------------------------------------------------
    def group(self, group_id: str) -> Group:
        group = self.groups.get(group_id)
        if group is None:
            group = self.groups[group_id] = Group(group_id)
        return group

    def member(self, group_id: str, member_id: str | None) -> Member | None:
        if member_id is None:
            return None
        group = self.groups.get(group_id)
        return None if group is None else group.members.get(member_id)

    # -- membership ------------------------------------------------------------------------
    def join(
        self,
        group_id: str,
        member_id: str | None,
        *,
        client_id: str,
        group_instance_id: str | None,
        topics: list[str],
        protocols: list[str],
        owned: list[TopicPartition],
        session_timeout_ms: int,
        rebalance_timeout_ms: int,
        heartbeat_interval_ms: int = 3000,
    ) -> str:
        """A JoinGroup request; returns the member id. The join completes when all have rejoined."""
        now = self.cluster.now_ms
        group = self.group(group_id)
        member = group.members.get(member_id) if member_id else None
        others = [m for m in group.members.values() if m is not member]
        if others and not set(protocols).intersection(*(m.protocols for m in others)):
            # As the broker does: refuse the newcomer, leave the group as it is.
            raise InconsistentGroupProtocolError(
                f"the consumer's partition_assignment_strategy {list(protocols)} shares no "
                f"assignor with group {group_id!r}, whose members use "
                f"{sorted(set().union(*(m.protocols for m in others)))}; give it one of theirs"
            )
        if member is None:
            member_id = self._new_member_id(client_id, group_instance_id)
            old_id = group.static_members.get(group_instance_id) if group_instance_id else None
            old = group.members.get(old_id) if old_id else None
            member = Member(
                member_id=member_id,
                client_id=client_id,
                group_instance_id=group_instance_id,
                topics=list(topics),
                protocols=list(protocols),
                owned=list(owned),
                session_timeout_ms=session_timeout_ms,
                rebalance_timeout_ms=rebalance_timeout_ms,
                heartbeat_interval_ms=heartbeat_interval_ms,
                last_heartbeat_ms=now,
                last_poll_ms=now,
            )
            if old is not None:
                self._replace_static_member(group, old, member)
                self.try_complete_join(group)
                return member_id
            group.members[member_id] = member
            if group_instance_id:
                group.static_members[group_instance_id] = member_id
            self._event(group, "join", member, detail="new member")
            if group.leader is None:
                group.leader = member_id
            self._prepare_rebalance(group, f"member {member_id} joined", joining=member_id)
        else:
            changed = member.metadata() != (
                tuple(topics),
                tuple(protocols),
                tuple(sorted(owned)),
            )
            member.topics, member.protocols, member.owned = list(topics), list(protocols), owned
            member.last_heartbeat_ms = now
            member.awaiting_join = True
            self._event(group, "join", member, detail="rejoin")
            if group.state in (STABLE, COMPLETING_REBALANCE):
                if changed or member.member_id == group.leader:
                    self._prepare_rebalance(
                        group, f"member {member.member_id} rejoined", joining=member.member_id
                    )
                else:
                    # Same metadata from a follower of a stable group: Kafka answers with the
                    # current assignment, no rebalance.
                    member.awaiting_join = False
        self.try_complete_join(group)
        return member_id

    def _new_member_id(self, client_id: str, group_instance_id: str | None) -> str:
        # As the broker does: "<client id or instance id>-<random UUID>", from the seeded RNG.
        prefix = group_instance_id or client_id
        return f"{prefix}-{self.cluster.uuid()}"

    def _replace_static_member(self, group: Group, old: Member, new: Member) -> None:
        """A static member restarted: the new id takes over the old one's place and assignment."""
        del group.members[old.member_id]
        group.removed[old.member_id] = (
            f"fenced: another consumer joined with group.instance.id={old.group_instance_id!r}"
        )
        new.assignment = list(old.assignment)
        if group.state == STABLE:
            new.generation = old.generation
        group.members[new.member_id] = new
        group.static_members[new.group_instance_id] = new.member_id  # type: ignore[index]
        if group.leader == old.member_id:
            group.leader = new.member_id
        self._event(group, "join", new, detail=f"static member replaced {old.member_id}")
        if group.state == PREPARING_REBALANCE:
            return  # it joins the rebalance under way in the old member's place
        if group.state == STABLE and new.topics == old.topics and new.protocols == old.protocols:
            # KIP-345: a static member coming back within its session timeout gets its old
            # assignment without a rebalance.
            new.awaiting_join = False
            self._event(group, "sync", new, detail="static rejoin: no rebalance")
        else:
            self._prepare_rebalance(
                group, f"static member {new.group_instance_id} rejoined", joining=new.member_id
            )

    def leave(self, group_id: str, member_id: str, reason: str) -> None:
        """A LeaveGroup request (close of a dynamic member, or the poll timeout's proactive leave)."""
        group = self.groups.get(group_id)
        if group is None or member_id not in group.members:
            return
        self._remove(group, group.members[member_id], reason, event="leave")

    def crash(self, group_id: str, member_id: str) -> None:
        """The member's process died: no LeaveGroup, no more heartbeats."""
        member = self.member(group_id, member_id)
        if member is not None:
            member.alive = False
            member.last_heartbeat_ms = self.cluster.now_ms
            self._event(self.groups[group_id], "crash", member)

    def static_close(self, group_id: str, member_id: str) -> None:
        """A static member closed: it sends no LeaveGroup, so its session just runs out."""
        member = self.member(group_id, member_id)
        if member is not None:
            member.alive = False
            member.last_heartbeat_ms = self.cluster.now_ms
            self._event(self.groups[group_id], "close", member, detail="static: no leave")

    def record_poll(self, group_id: str, member_id: str | None) -> None:
        member = self.member(group_id, member_id)
        if member is not None:
            member.last_poll_ms = member.last_heartbeat_ms = self.cluster.now_ms
            # A static member back from a poll timeout, within its session: still a member.
            member.alive = True
            member.missed_heartbeats = 0

    def check_member(self, group_id: str, member_id: str | None) -> Member:
        """The member, or the error a real client would get for it (fenced, unknown)."""
        group = self.group(group_id)
        member = group.members.get(member_id) if member_id else None
        if member is None:
            reason = group.removed.get(member_id or "", "")
            if reason.startswith("fenced"):
                raise FencedInstanceIdError(reason)
            raise UnknownMemberIdError(reason or f"member {member_id} is not in group {group_id}")
        return member

    def _remove(self, group: Group, member: Member, reason: str, event: str) -> None:
        del group.members[member.member_id]
        group.removed[member.member_id] = reason
        if member.group_instance_id and (
            group.static_members.get(member.group_instance_id) == member.member_id
        ):
            del group.static_members[member.group_instance_id]
        self._event(group, event, member, detail=reason)
        if group.leader == member.member_id:
            group.leader = next(iter(group.members), None)
        if group.state in (STABLE, COMPLETING_REBALANCE):
            self._prepare_rebalance(group, f"member {member.member_id} left: {reason}")
        elif group.state == PREPARING_REBALANCE:
            self.try_complete_join(group)

    # -- the rebalance -----------------------------------------------------------------------
    def _prepare_rebalance(self, group: Group, reason: str, joining: str | None = None) -> None:
        """Start a join phase: every member except the one joining now must send JoinGroup."""
        now = self.cluster.now_ms
        if group.state == PREPARING_REBALANCE:
            return
        if group.state == EMPTY and self.initial_rebalance_delay_ms > 0:
            group.initial_delay_until_ms = now + self.initial_rebalance_delay_ms
        timeout = max((m.rebalance_timeout_ms for m in group.members.values()), default=0)
        group.join_deadline_ms = now + timeout
        group.state = PREPARING_REBALANCE
        group.rebalance_reason = reason
        for m in group.members.values():
            m.awaiting_join = m.member_id == joining
        self._event(group, "rebalance_start", None, detail=reason)

    def try_complete_join(self, group: Group) -> bool:
        """Complete the join phase if every member has rejoined; then assign and go Stable."""
        if group.state != PREPARING_REBALANCE:
            return False
        now = self.cluster.now_ms
        if group.initial_delay_until_ms is not None and now < group.initial_delay_until_ms:
            return False
        if any(not m.awaiting_join for m in group.members.values()):
            return False
        self._complete_join(group)
        return True

    def _complete_join(self, group: Group) -> None:
        group.generation += 1
        group.join_deadline_ms = None
        group.initial_delay_until_ms = None
        if not group.members:
            group.state = EMPTY
            group.protocol = None
            group.leader = None
            self._event(group, "generation", None, detail="group is empty")
            return
        if group.leader not in group.members:
            group.leader = next(iter(group.members))
        group.protocol = self._select_protocol(group)
        leader = group.members[group.leader]
        subscriptions = {mid: list(m.topics) for mid, m in group.members.items()}
        partition_counts = self.cluster.partition_counts(
            {t for m in group.members.values() for t in m.topics}
        )
        current = {mid: [tuple(tp) for tp in m.owned] for mid, m in group.members.items()}
        instance_ids = {
            mid: m.group_instance_id for mid, m in group.members.items() if m.group_instance_id
        }
        result = assignors.assign(
            group.protocol,
            subscriptions,
            partition_counts,
            current,
            group_instance_ids=instance_ids or None,
        )
        group.state = STABLE
        self._event(
            group,
            "generation",
            leader,
            detail=f"protocol={group.protocol} leader={leader.member_id} "
            f"members={len(group.members)}",
        )
        for mid, m in group.members.items():
            m.assignment = [TopicPartition(t, p) for t, p in result.get(mid, [])]
            m.generation = group.generation
            m.awaiting_join = False
            self._event(group, "sync", m, detail=f"{len(m.assignment)} partitions")

    def _select_protocol(self, group: Group) -> str:
        """The assignor every member supports with the most first-choice votes (classic protocol)."""
        members = list(group.members.values())
        candidates = set(members[0].protocols)
        for m in members[1:]:
            candidates &= set(m.protocols)
        if not candidates:
            raise ValueError(
                "the group's members share no partition_assignment_strategy; give them a common one"
            )
        votes: dict[str, int] = {}
        for m in members:
            choice = next(p for p in m.protocols if p in candidates)
            votes[choice] = votes.get(choice, 0) + 1
        leader_order = group.members[group.leader].protocols  # type: ignore[index]
        return max(
            votes, key=lambda p: (votes[p], -leader_order.index(p) if p in leader_order else 0)
        )

    def metadata_changed(self, topics: set[str]) -> None:
        """Partitions were added or a topic deleted: groups subscribed to it rebalance."""
        for group in self.groups.values():
            if group.state in (STABLE, COMPLETING_REBALANCE) and any(
                set(m.topics) & topics for m in group.members.values()
            ):
                self._prepare_rebalance(group, f"metadata changed for {sorted(topics)}")

    # -- the clock ---------------------------------------------------------------------------
    def next_deadline(self) -> int | None:
        """The earliest time at which a session, poll interval or join phase runs out."""
        times: list[int] = []
        for group in self.groups.values():
            if group.join_deadline_ms is not None:
                times.append(group.join_deadline_ms)
            if group.initial_delay_until_ms is not None:
                times.append(group.initial_delay_until_ms)
            for m in group.members.values():
                if m.alive:
                    if m.member_id not in self.polling:
                        times.append(m.last_poll_ms + m.rebalance_timeout_ms + 1)
                else:
                    expiry = m.last_heartbeat_ms + m.session_timeout_ms + 1
                    missed = (
                        m.last_heartbeat_ms + (m.missed_heartbeats + 1) * m.heartbeat_interval_ms
                    )
                    times.append(min(expiry, missed))
        return min(times) if times else None

    def fire_timers(self) -> None:
        """Expire what ran out at the current time."""
        now = self.cluster.now_ms
        for group in list(self.groups.values()):
            for m in list(group.members.values()):
                if not m.alive:
                    self._record_missed_heartbeats(group, m, now)
                if not m.alive and now > m.last_heartbeat_ms + m.session_timeout_ms:
                    self._remove(
                        group,
                        m,
                        f"session timeout: no heartbeat for {m.session_timeout_ms} ms",
                        event="session_timeout",
                    )
                elif m.member_id in self.polling:
                    m.last_poll_ms = m.last_heartbeat_ms = now
                elif (
                    m.alive
                    and m.group_instance_id
                    and now > m.last_poll_ms + m.rebalance_timeout_ms
                ):
                    # A static member sends no LeaveGroup on a poll timeout: its heartbeats
                    # stop, and only its session timeout removes it (KIP-345).
                    m.alive = False
                    m.last_heartbeat_ms = m.last_poll_ms + m.rebalance_timeout_ms
                    self._event(group, "poll_timeout", m, detail="static member: no leave")
                elif m.alive and now > m.last_poll_ms + m.rebalance_timeout_ms:
                    # The client's heartbeat thread leaves the group when poll() is not called
                    # within max.poll.interval.ms.
                    self._remove(
                        group,
                        m,
                        f"poll timeout: poll() not called within max_poll_interval_ms="
                        f"{m.rebalance_timeout_ms}",
                        event="poll_timeout",
                    )
            if group.state == PREPARING_REBALANCE and group.join_deadline_ms is not None:
                if now >= group.join_deadline_ms:
                    for m in [m for m in group.members.values() if not m.awaiting_join]:
                        self._remove(
                            group, m, "did not rejoin within the rebalance timeout", "expire"
                        )
                    self.try_complete_join(group)
            if group.initial_delay_until_ms is not None and now >= group.initial_delay_until_ms:
                self.try_complete_join(group)

    def _record_missed_heartbeats(self, group: Group, m: Member, now: int) -> None:
        """One event per heartbeat a dead member should have sent before its session ran out."""
        expiry = m.last_heartbeat_ms + m.session_timeout_ms
        while True:
            due = m.last_heartbeat_ms + (m.missed_heartbeats + 1) * m.heartbeat_interval_ms
            if due > now or due > expiry:
                return
            m.missed_heartbeats += 1
            self.cluster.record_event(
                "heartbeat_missed",
                group=group.group_id,
                member=m.member_id,
                generation=group.generation,
                count=m.missed_heartbeats,
                detail=f"session expires {expiry - due} ms later",
                time_ms=due,
            )

    # -- offsets -----------------------------------------------------------------------------
    def commit(
        self,
        group_id: str,
        member_id: str | None,
        generation: int,
        offsets: dict[TopicPartition, OffsetAndMetadata],
    ) -> None:
        """An OffsetCommit: accepted from the current generation, or from a simple consumer."""
        group = self.group(group_id)
        if member_id is None:
            if group.members:
                raise CommitFailedError(
                    f"group {group_id!r} has active members; a consumer that assigned partitions "
                    "itself can commit only while the group is empty"
                )
        else:
            member = group.members.get(member_id)
            if member is None:
                why = group.removed.get(member_id, "it is not a member")
                raise CommitFailedError(
                    f"commit failed: member {member_id} was removed from group {group_id!r} "
                    f"({why}); its partitions may already belong to another member"
                )
            if generation != group.generation:
                raise CommitFailedError(
                    f"commit failed: generation {generation} is stale, group {group_id!r} is at "
                    f"generation {group.generation} after a rebalance; poll() to rejoin first"
                )
        for tp, om in offsets.items():
            group.offsets[tp] = om
            self.cluster.record_event(
                "commit",
                topic=tp.topic,
                partition=tp.partition,
                offset=om.offset,
                group=group_id,
                member=member_id,
                generation=group.generation,
            )

    # -- events ------------------------------------------------------------------------------
    def _event(self, group: Group, event: str, member: Member | None, detail: str = "") -> None:
        self.cluster.record_event(
            event,
            group=group.group_id,
            member=None if member is None else member.member_id,
            generation=group.generation,
            detail=detail,
        )
