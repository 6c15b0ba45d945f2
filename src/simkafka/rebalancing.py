"""Rebalancing experiments: what a rebalance stops, what it moves, and what causes one.

Each function takes a backend first (a ``SimCluster``, a ``RealCluster``, ``"sim"`` or
``"kafka"``, as in :mod:`simkafka.experiments`) and returns a DataFrame with the same columns
from both. Eager against cooperative rebalancing (:func:`rebalance_timeline`, and its
listener calls one by one for drawing, :func:`listener_calls`), how many
partitions each assignor moves (:func:`assignor_moves`), static membership
(:func:`static_restart`), and the two timeouts that remove a member, ``session.timeout.ms``
for a dead one and ``max.poll.interval.ms`` for a slow one (:func:`removal_timing`,
:func:`slow_processing`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .assignors import ASSIGNORS
from .errors import CommitFailedError
from .experiments import Backend, _new_topic, _produce, group_ownership, open_backend
from .members import GroupMembers
from .records import TopicPartition

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "assignor_moves",
    "listener_calls",
    "rebalance_timeline",
    "removal_timing",
    "slow_processing",
    "static_restart",
]

#: Three members join a four-partition topic, one by one.
THREE_JOINS = (("join", "a"), ("join", "b"), ("join", "c"))

TIMELINE_COLUMNS = ["step", "action", "member", "revoked", "assigned"]
MOVES_COLUMNS = ["strategy", "action", "member", "moved", "needed"]
STATIC_COLUMNS = ["membership", "restarted", "rebalances", "owners_before", "owners_after"]
REMOVAL_COLUMNS = ["cause", "session_timeout_ms", "max_poll_interval_ms", "removed_after_ms"]
SLOW_COLUMNS = ["round", "offsets", "commit"]


def _owners_text(ownership: pd.DataFrame) -> str:
    """``"a:0,1 b:2"``: each owner's partitions, owners by name."""
    owned: dict[str, list[int]] = {}
    for partition, owner in zip(ownership["partition"], ownership["owner"], strict=True):
        owned.setdefault(str(owner), []).append(int(partition))
    return " ".join(f"{o}:{','.join(map(str, sorted(ps)))}" for o, ps in sorted(owned.items()))


# -- eager against cooperative -----------------------------------------------------------------
def rebalance_timeline(
    backend: Backend,
    strategy: str = "range",
    partitions: int = 4,
    script: Sequence[tuple[str, str]] = THREE_JOINS,
    *,
    session_timeout_ms: int = 6000,
) -> pd.DataFrame:
    """What each member's rebalance listener was told at each step: revoked, then assigned.

    Members of ``groups-service`` follow ``script`` (``join``, ``leave``, ``crash``,
    ``restart``), the group settling after each step. One row per step and member that was
    told something: ``step, action, member, revoked, assigned`` (sorted partition tuples).
    With an eager assignor (``range``, ``roundrobin``, ``sticky``) every member revokes
    everything it owns at every rebalance and is assigned it all again; with
    ``cooperative-sticky`` only the partitions that move are revoked, and ``assigned`` lists
    only the new ones (as Kafka's listener does). Empty calls are left out: kafka-python
    makes some the simulator does not (``on_partitions_revoked(())`` for a member that owns
    nothing). ``attrs["summary"]``: partitions ``revoked`` in all, and ``moved`` (changed
    owner).

    >>> rebalance_timeline("sim", "range", partitions=2, script=[("join", "a"), ("join", "b")])
       step action member revoked assigned
    0     1   join      a      ()   (0, 1)
    1     2   join      a  (0, 1)     (0,)
    2     2   join      b      ()     (1,)
    """
    import pandas as pd

    rows = []
    moved = 0
    with open_backend(backend) as cluster:
        topic = _new_topic(cluster, "user-accounts", partitions)
        group_id = cluster.group_name("groups-service")
        with GroupMembers(
            cluster, topic, group_id, strategy=strategy, session_timeout_ms=session_timeout_ms
        ) as group:
            before: dict[int, str] = {}
            for step, (action, member) in enumerate(script, start=1):
                seen = len(group.events())
                getattr(group, action)(member)
                group.settle()
                told: dict[str, dict[str, set[int]]] = {}
                for _, name, event, parts in group.events().iloc[seen:].itertuples(index=False):
                    if parts:
                        kind = "assigned" if event == "assigned" else "revoked"
                        told.setdefault(name, {"revoked": set(), "assigned": set()})[kind] |= set(
                            parts
                        )
                for name in sorted(told):
                    revoked, assigned = told[name]["revoked"], told[name]["assigned"]
                    rows.append(
                        (
                            step,
                            action,
                            member,
                            name,
                            tuple(sorted(revoked)),
                            tuple(sorted(assigned)),
                        )
                    )
                now = group.ownership()
                owners = dict(zip(now["partition"], now["owner"], strict=True))
                moved += sum(1 for p, o in owners.items() if p in before and before[p] != o)
                before = owners
    frame = pd.DataFrame(rows, columns=["step", "action", "by", *TIMELINE_COLUMNS[2:]])
    frame = frame.drop(columns="by")
    frame.attrs["summary"] = {
        "strategy": strategy,
        "revoked": int(sum(len(r) for r in frame["revoked"])),
        "moved": moved,
    }
    return frame


def listener_calls(
    backend: Backend,
    strategy: str = "range",
    partitions: int = 4,
    script: Sequence[tuple[str, str]] = THREE_JOINS,
    *,
    session_timeout_ms: int = 6000,
) -> pd.DataFrame:
    """The rebalance listener calls of :func:`rebalance_timeline`'s run, one row per call.

    The same members, script and settling; columns ``time_ms, member, event, partitions``
    (``event``: assigned, revoked or lost), in the order the calls were made, empty calls
    left out. This is what :func:`simkafka.viz.rebalance_timeline` draws.

    >>> listener_calls("sim", "range", partitions=2, script=[("join", "a"), ("join", "b")])
       time_ms member     event partitions
    0        0      a  assigned     (0, 1)
    1        0      a   revoked     (0, 1)
    2        0      a  assigned       (0,)
    3        0      b  assigned       (1,)
    """
    with open_backend(backend) as cluster:
        topic = _new_topic(cluster, "user-accounts", partitions)
        group_id = cluster.group_name("groups-service")
        with GroupMembers(
            cluster, topic, group_id, strategy=strategy, session_timeout_ms=session_timeout_ms
        ) as group:
            for action, member in script:
                getattr(group, action)(member)
                group.settle()
            calls = group.events()
    calls = calls[[len(parts) > 0 for parts in calls["partitions"]]]
    return calls.reset_index(drop=True)


# -- the assignors compared --------------------------------------------------------------------
def assignor_moves(
    backend: Backend,
    strategies: Sequence[str] = ASSIGNORS,
    partitions: int = 6,
    members: Sequence[str] = ("a", "b", "c"),
    newcomer: str = "d",
    leaver: str = "a",
) -> pd.DataFrame:
    """How many partitions each assignor moves when ``newcomer`` joins, then ``leaver`` leaves.

    For each strategy ``members`` join a ``partitions``-partition topic, then ``newcomer``
    joins, then ``leaver`` leaves (:func:`simkafka.experiments.group_ownership`). One row per
    strategy and change: ``strategy, action, member, moved, needed``; ``moved`` counts the
    partitions that changed owner, ``needed`` the fewest any balanced assignment must move
    (a newcomer's fair share, ``partitions // members``; or everything the leaver owned).

    >>> assignor_moves("sim", ["range", "sticky"], partitions=6)
      strategy action member  moved  needed
    0    range   join      d      1       1
    1    range  leave      a      5       2
    2   sticky   join      d      1       1
    3   sticky  leave      a      2       2
    """
    import pandas as pd

    script = [*(("join", m) for m in members), ("join", newcomer), ("leave", leaver)]
    first, rows = len(members) + 1, []
    with open_backend(backend) as cluster:
        for strategy in strategies:
            frame = group_ownership(cluster, partitions, script, strategy)
            owners = {
                step: dict(zip(part["partition"], part["owner"], strict=True))
                for step, part in frame.groupby("step")
            }
            for step in (first, first + 1):
                action, member = script[step - 1]
                old, new = owners[step - 1], owners[step]
                moved = sum(1 for p in new if p in old and old[p] != new[p])
                if action == "join":
                    needed = partitions // len(set(new.values()) | {member})
                else:
                    needed = sum(1 for o in old.values() if o == member)
                rows.append((strategy, action, member, moved, needed))
    return pd.DataFrame(rows, columns=MOVES_COLUMNS)


# -- static membership -------------------------------------------------------------------------
def static_restart(
    backend: Backend,
    memberships: Sequence[str] = ("dynamic", "static"),
    partitions: int = 3,
    members: Sequence[str] = ("a", "b", "c"),
    restarted: str = "b",
    *,
    session_timeout_ms: int = 6000,
) -> pd.DataFrame:
    """A member's process restarts at once: with static membership, no rebalance.

    For each of ``memberships`` (``dynamic``, or ``static``: ``group_instance_id`` set to the
    member's name) ``members`` join, then ``restarted`` crashes and a new process under its
    name joins at once. Columns ``membership, restarted, rebalances, owners_before,
    owners_after``. A dynamic member comes back with a new member id: the group rebalances,
    and waits for the old id's session (``session_timeout_ms``) before it can finish. A static
    member comes back within its session under the same ``group.instance.id``: the broker
    hands it its old assignment, no rebalance (KIP-345).

    >>> static_restart("sim")
      membership restarted  rebalances owners_before owners_after
    0    dynamic         b           1   a:0 b:1 c:2  a:0 b:1 c:2
    1     static         b           0   a:0 b:1 c:2  a:0 b:1 c:2
    """
    import pandas as pd

    for m in memberships:
        if m not in ("dynamic", "static"):
            raise ValueError(f"membership must be 'dynamic' or 'static', got {m!r}")
    rows = []
    with open_backend(backend) as cluster:
        topic = _new_topic(cluster, "user-accounts", partitions)
        for membership in memberships:
            group_id = cluster.group_name(f"groups-service-{membership}")
            with GroupMembers(
                cluster,
                topic,
                group_id,
                static=membership == "static",
                session_timeout_ms=session_timeout_ms,
            ) as group:
                for name in members:
                    group.join(name)
                group.settle()
                before = group.ownership()
                group.crash(restarted)
                group.restart(restarted)
                group.settle()
                after = group.ownership()
                rebalances = int(after["generation"].max() - before["generation"].max())
                rows.append(
                    (membership, restarted, rebalances, _owners_text(before), _owners_text(after))
                )
    return pd.DataFrame(rows, columns=STATIC_COLUMNS)


def rebalanced(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`static_restart`'s table with ``rebalances`` as yes/no: what a real broker promises.

    The simulator's count is the classic protocol's textbook one (a dynamic restart: exactly
    one rebalance, which waits for the old member's session). A real broker under load has
    been seen to run two or three (the first completing just before the crashed member's
    session expired, and another when it did), so comparisons with a broker use this view:
    a dynamic restart rebalances, a static one does not.
    """
    out = frame.copy()
    out["rebalances"] = out["rebalances"] > 0
    return out.rename(columns={"rebalances": "rebalanced"})


# -- the two timeouts --------------------------------------------------------------------------
def _members_of(cluster: Any, group_id: str) -> int:
    """How many members the coordinator lists in ``group_id`` now."""
    described = cluster.admin().describe_groups([group_id])
    return len(described.get(group_id, {}).get("members", []))


def _wait_until_empty(cluster: Any, group_id: str, step_ms: int, wait_ms: int) -> int:
    """Milliseconds (the backend's clock) until the group has no member, looked at every step."""
    start = cluster.now_ms
    while _members_of(cluster, group_id) and cluster.now_ms - start < wait_ms:
        cluster.advance(step_ms)
    return cluster.now_ms - start


def removal_timing(
    backend: Backend,
    causes: Sequence[str] = ("crash", "slow"),
    *,
    session_timeout_ms: int = 6000,
    max_poll_interval_ms: int = 3000,
    step_ms: int = 100,
    wait_ms: int = 20_000,
) -> pd.DataFrame:
    """How long until the coordinator removes a member that crashed, or one that is too slow.

    ``crash``: the member's process dies (no LeaveGroup, no heartbeat): the coordinator waits
    ``session_timeout_ms`` from its last heartbeat. ``slow``: the member is alive, its
    heartbeats go on, but it does not call ``poll()`` for longer than
    ``max_poll_interval_ms``: the client leaves the group when that runs out. The group is
    looked at every ``step_ms`` (of simulated time on the simulator, of wall-clock time on a
    broker). Columns ``cause, session_timeout_ms, max_poll_interval_ms, removed_after_ms``.
    On the simulator ``removed_after_ms`` is the timeout rounded up to the next look; on a
    broker the session counts from the last heartbeat (up to one heartbeat interval before
    the crash) and the client notices a poll timeout at its next heartbeat, so the numbers
    differ by about a second.

    >>> removal_timing("sim")
       cause  session_timeout_ms  max_poll_interval_ms  removed_after_ms
    0  crash                6000                  3000              6100
    1   slow                6000                  3000              3100
    """
    import pandas as pd

    for cause in causes:
        if cause not in ("crash", "slow"):
            raise ValueError(f"cause must be 'crash' or 'slow', got {cause!r}")
    config = {
        "session_timeout_ms": session_timeout_ms,
        "max_poll_interval_ms": max_poll_interval_ms,
    }
    rows = []
    with open_backend(backend) as cluster:
        topic = _new_topic(cluster, "user-accounts", 1)
        for cause in causes:
            group_id = cluster.group_name(f"groups-service-{cause}")
            if cause == "crash":
                with GroupMembers(cluster, topic, group_id, **config) as group:
                    group.join("a")
                    group.settle()
                    group.crash("a")
                    elapsed = _wait_until_empty(cluster, group_id, step_ms, wait_ms)
            else:
                elapsed = _slow_member_removed(cluster, topic, group_id, config, step_ms, wait_ms)
            rows.append((cause, session_timeout_ms, max_poll_interval_ms, elapsed))
    return pd.DataFrame(rows, columns=REMOVAL_COLUMNS)


def _slow_member_removed(
    cluster: Any, topic: str, group_id: str, config: dict, step_ms: int, wait_ms: int
) -> int:
    """A member joins, then does not call poll() again; how long until it is gone?"""
    member = cluster.consumer(
        topic,
        group_id=group_id,
        client_id="slow",
        heartbeat_interval_ms=1000,
        enable_auto_commit=False,
        **config,
    )
    try:
        deadline = cluster.now_ms + wait_ms
        while not member.assignment() and cluster.now_ms < deadline:
            member.poll(timeout_ms=step_ms)
        return _wait_until_empty(cluster, group_id, step_ms, wait_ms)
    finally:
        member.close(autocommit=False)


def slow_processing(
    backend: Backend,
    processing_ms: int,
    rounds: int = 3,
    *,
    max_poll_interval_ms: int = 3000,
    batch: int = 2,
) -> pd.DataFrame:
    """A member that processes each batch for ``processing_ms`` and then commits it.

    One member of ``groups-service`` reads a one-partition topic of ``batch * rounds``
    events, ``batch`` records per poll. Each round: ``poll()``, process (the backend's clock
    moves ``processing_ms``), ``commit()``. Slower than ``max_poll_interval_ms``, the member
    has left the group before it commits: the commit fails with ``CommitFailedError``, the
    next poll joins again and gets the same records again, round after round: a rebalance
    loop that never makes progress. Columns ``round, offsets, commit``.

    >>> slow_processing("sim", processing_ms=4000)
       round offsets             commit
    0      1  (0, 1)  CommitFailedError
    1      2  (0, 1)  CommitFailedError
    2      3  (0, 1)  CommitFailedError
    >>> slow_processing("sim", processing_ms=1000)["offsets"].tolist()
    [(0, 1), (2, 3), (4, 5)]
    """
    import pandas as pd

    rows = []
    with open_backend(backend) as cluster:
        topic = _new_topic(cluster, "user-accounts", 1)
        _produce(cluster, topic, [(f"acct-{i}", f"event#{i}") for i in range(batch * rounds)])
        member = cluster.consumer(
            topic,
            group_id=cluster.group_name("groups-service"),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=batch,
            max_poll_interval_ms=max_poll_interval_ms,
            session_timeout_ms=6000,
            heartbeat_interval_ms=1000,
        )
        try:
            for number in range(1, rounds + 1):
                records = _next_batch(cluster, member)
                cluster.advance(processing_ms)  # processing: simulated, or a real sleep
                try:
                    if records:
                        last = records[-1]
                        member.commit({TopicPartition(topic, last.partition): last.offset + 1})
                    outcome = "ok"
                except CommitFailedError:
                    outcome = "CommitFailedError"
                rows.append((number, tuple(r.offset for r in records), outcome))
        finally:
            member.close(autocommit=False)
    return pd.DataFrame(rows, columns=SLOW_COLUMNS)


def _next_batch(cluster: Any, member: Any, wait_ms: int = 20_000) -> list:
    """The records of the member's next non-empty poll (it rejoins first if it was removed)."""
    deadline = cluster.now_ms + wait_ms
    while cluster.now_ms < deadline:
        got = member.poll(timeout_ms=200)
        records = [r for batch in got.values() for r in batch]
        if records:
            return records
    return []
