"""Checking a topic design: which key keeps which order, how many consumers can help, skew.

A design names, per topic, its partition count and the event field used as the key, and per
consumer group, the topic it reads, how many consumers it runs and the field whose order it
needs. :func:`check_design` sends PlayBall's events (:func:`playball_events`) with those keys,
runs each group's consumers until the group settles, and reports per group what held. It
runs on both backends (the partition of a key and the range assignor's choice are the same on
the simulator and on Kafka), so the two tables compare with ``DataFrame.equals``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from .experiments import Backend, _new_topic, _produce, open_backend
from .partitioners import partition_for_key

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DESIGN_COLUMNS", "check_design", "key_routing", "playball_events"]

#: Columns of :func:`check_design`, in order.
DESIGN_COLUMNS = [
    "group",
    "topic",
    "key",
    "partitions",
    "consumers",
    "active_consumers",
    "max_useful_consumers",
    "order_by",
    "order_kept",
    "sees_everything",
    "skew",
]

#: A design that passes every check: match events keyed by match, accounts by account id,
#: as many consumers as partitions (09-capstone builds it step by step).
PLAYBALL_DESIGN = {
    "topics": {
        "match-events": {"partitions": 4, "key": "match_id"},
        "user-accounts": {"partitions": 3, "key": "account_id"},
    },
    "groups": {
        "scoreboard": {"topic": "match-events", "consumers": 4, "order_by": "match_id"},
        "groups-service": {"topic": "user-accounts", "consumers": 3, "order_by": "account_id"},
    },
}

#: A group whose busiest consumer has this many times the mean load is reported as skewed.
SKEW_LIMIT = 2.0

MATCH_EVENTS = ("kickoff", "goal", "yellow-card", "goal", "substitution", "final-whistle")
ACCOUNT_EVENTS = ("created", "email-changed", "joined-team", "deleted")


def playball_events(matches: int = 4, accounts: int = 6) -> list[dict[str, str]]:
    """PlayBall's events, in send order: match events and account events, interleaved.

    Match events (topic ``match-events``) carry ``match_id``, ``team_id`` (two teams per
    match), ``player_id``, ``tournament_id`` (one tournament) and ``event``; account events
    (topic ``user-accounts``) carry ``account_id`` and ``event``. Every event has ``seq``,
    its place in send order.

    >>> events = playball_events(matches=1, accounts=1)
    >>> [(e["topic"], e["event"]) for e in events][:3]
    [('match-events', 'kickoff'), ('user-accounts', 'created'), ('match-events', 'goal')]
    >>> events[0]["match_id"], events[0]["team_id"], events[2]["team_id"]
    ('match-1', 'team-1a', 'team-1b')
    """
    match_rows = [
        {
            "topic": "match-events",
            "match_id": f"match-{m}",
            "team_id": f"team-{m}{'ab'[i % 2]}",
            "player_id": f"player-{m}{'ab'[i % 2]}{i % 3}",
            "tournament_id": "spring-cup",
            "event": event,
        }
        for i, event in enumerate(MATCH_EVENTS)
        for m in range(1, matches + 1)
    ]
    account_rows = [
        {"topic": "user-accounts", "account_id": f"acct-{a}", "event": event}
        for event in ACCOUNT_EVENTS
        for a in range(1, accounts + 1)
    ]
    events: list[dict[str, str]] = []
    while match_rows or account_rows:
        for rows in (match_rows, account_rows):
            if rows:
                events.append(rows.pop(0))
    for seq, event in enumerate(events):
        event["seq"] = str(seq)
    return events


def key_routing(
    design: dict[str, Any], topic: str, events: list[dict[str, str]] | None = None
) -> pd.DataFrame:
    """Where ``design`` sends ``topic``'s events: one row per key, ``key, partition, records``.

    The partition is the Java producer's (and kafka-python's) murmur2 choice,
    :func:`~simkafka.partitioners.partition_for_key`, computed without a cluster; it is what
    :func:`check_design` measures on either backend. ``attrs["partitions"]`` is the topic's
    partition count, so :func:`simkafka.viz.key_distribution` draws empty partitions too.

    >>> design = {"topics": {"match-events": {"partitions": 4, "key": "team_id"}}, "groups": {}}
    >>> key_routing(design, "match-events").head(2).to_dict("records")
    [{'key': 'team-1a', 'partition': 1, 'records': 3}, {'key': 'team-1b', 'partition': 0, 'records': 3}]
    """
    import pandas as pd

    spec = design["topics"][topic]
    events = playball_events() if events is None else list(events)
    counts = Counter(str(e[spec["key"]]) for e in events if e.get("topic") == topic)
    frame = pd.DataFrame(
        [
            (key, partition_for_key(key.encode(), spec["partitions"]), n)
            for key, n in sorted(counts.items())
        ],
        columns=["key", "partition", "records"],
    )
    frame.attrs["partitions"] = spec["partitions"]
    return frame


def _check_spec(design: dict[str, Any]) -> None:
    topics, groups = design.get("topics"), design.get("groups")
    if not isinstance(topics, dict) or not isinstance(groups, dict) or not topics:
        raise ValueError(
            "design must be {'topics': {name: {'partitions': n, 'key': field}}, "
            "'groups': {name: {'topic': t, 'consumers': n, 'order_by': field}}}"
        )
    for name, spec in topics.items():
        if type(spec.get("partitions")) is not int or spec["partitions"] < 1:
            raise ValueError(f"topic {name!r}: partitions must be a whole number >= 1")
        if not isinstance(spec.get("key"), str):
            raise ValueError(
                f"topic {name!r}: key must name an event field, e.g. 'match_id'; keyless "
                "records spread at random and keep no order per entity"
            )
    for name, spec in groups.items():
        if spec.get("topic") not in topics:
            raise ValueError(f"group {name!r} reads {spec.get('topic')!r}, not a designed topic")
        if type(spec.get("consumers")) is not int or spec["consumers"] < 1:
            raise ValueError(f"group {name!r}: consumers must be a whole number >= 1")


def check_design(
    backend: Backend,
    design: dict[str, Any],
    events: list[dict[str, str]] | None = None,
    *,
    settle_timeout_s: float = 30.0,
) -> pd.DataFrame:
    """Send ``events`` as ``design`` says, run each group, and report per group what held.

    ``design``: ``{"topics": {name: {"partitions": n, "key": field}}, "groups": {name:
    {"topic": t, "consumers": n, "order_by": field}}}``. Events (default
    :func:`playball_events`) go to the topic their ``topic`` field names, keyed by
    ``str(event[key])``. Each group runs ``consumers`` members (``c1``, ``c2`` ...; range
    assignor) until it settles. One row per group:

    * ``active_consumers``: members that received records (the others own nothing, or only
      empty partitions);
    * ``max_useful_consumers``: partitions that received records: more members cannot help;
    * ``order_kept``: every ``order_by`` value's events are in one partition, so the group
      reads them in send order (Kafka orders records only within a partition);
    * ``sees_everything``: every partition with records has an owner in the group;
    * ``skew``: records of the busiest member over the mean per member (1.0: even; the
      number of consumers when one member does all the work). :data:`SKEW_LIMIT` or more is
      reported as a problem.

    ``frame.attrs["summary"]["problems"]`` says in words what fails.

    >>> design = {
    ...     "topics": {"match-events": {"partitions": 4, "key": "team_id"}},
    ...     "groups": {"scoreboard": {"topic": "match-events", "consumers": 2,
    ...                               "order_by": "match_id"}},
    ... }
    >>> frame = check_design("sim", design)
    >>> frame[["group", "active_consumers", "order_kept", "skew"]].to_dict("records")
    [{'group': 'scoreboard', 'active_consumers': 2, 'order_kept': False, 'skew': 1.5}]
    >>> frame.attrs["summary"]["problems"]
    ['scoreboard: events of 3 of 4 match_id values are spread over several partitions: their order is lost']
    """
    import pandas as pd

    from .members import GroupMembers

    _check_spec(design)
    events = playball_events() if events is None else list(events)
    topics, groups = design["topics"], design["groups"]
    rows = []
    problems: list[str] = []
    with open_backend(backend) as cluster:
        placed: dict[str, list[tuple[dict[str, str], int]]] = {}
        names: dict[str, str] = {}
        for topic, spec in topics.items():
            mine = [e for e in events if e.get("topic") == topic]
            missing = [e for e in mine if spec["key"] not in e]
            if missing:
                raise ValueError(f"topic {topic!r}: its events have no field {spec['key']!r}")
            names[topic] = _new_topic(cluster, topic, spec["partitions"])
            produced = _produce(
                cluster, names[topic], [(str(e[spec["key"]]), e["event"]) for e in mine]
            )
            placed[topic] = list(zip(mine, produced["partition"].astype(int), strict=True))
        for group, spec in groups.items():
            topic = spec["topic"]
            partitions = topics[topic]["partitions"]
            with GroupMembers(cluster, names[topic], cluster.group_name(group)) as members:
                for i in range(1, spec["consumers"] + 1):
                    members.join(f"c{i}")
                members.settle(timeout_s=settle_timeout_s)
                owner = {int(p): o for _, p, o in members.ownership().itertuples(index=False)}
            counts = Counter(p for _, p in placed[topic])
            load = Counter({o: 0 for o in owner.values()})
            for p, n in counts.items():
                if p in owner:
                    load[owner[p]] += n
            order_by = spec.get("order_by", topics[topic]["key"])
            spread: dict[str, set[int]] = defaultdict(set)
            for event, p in placed[topic]:
                if order_by in event:
                    spread[event[order_by]].add(p)
            broken = sum(1 for ps in spread.values() if len(ps) > 1)
            active = sum(1 for n in load.values() if n)
            total = sum(load.values())
            mean = total / spec["consumers"]
            skew = round(max(load.values()) / mean, 2) if total else 1.0
            useful = len(counts)
            sees = all(p in owner for p in counts)
            rows.append(
                (
                    group,
                    topic,
                    topics[topic]["key"],
                    partitions,
                    spec["consumers"],
                    active,
                    useful,
                    order_by,
                    broken == 0,
                    sees,
                    skew,
                )
            )
            if broken:
                problems.append(
                    f"{group}: events of {broken} of {len(spread)} {order_by} values are "
                    "spread over several partitions: their order is lost"
                )
            if spec["consumers"] > active:
                idle = spec["consumers"] - active
                problems.append(
                    f"{group}: {spec['consumers']} consumers but records in only {useful} "
                    f"partition{'s' * (useful != 1)}: {idle} "
                    f"get{'s' * (idle == 1)} nothing to do"
                )
            if not sees:
                problems.append(f"{group}: some partitions have no owner")
            if skew >= SKEW_LIMIT:
                problems.append(f"{group}: the busiest consumer has {skew}x the mean load")
    frame = pd.DataFrame(rows, columns=DESIGN_COLUMNS)
    frame.attrs["summary"] = {"ok": not problems, "problems": problems}
    return frame
