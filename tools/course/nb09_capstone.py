"""Notebook 09: capstone. Design PlayBall's topics, keys, partitions and groups; check them.

Built into notebooks/09-capstone.ipynb by tools/build_notebooks.py.
"""

from __future__ import annotations

from course import exercise, golden, kafka, md, solution

NAME = "09-capstone"

CELLS = [
    md(
        """
# 09 - Capstone: design PlayBall's topics, and check the design

**What you'll learn:** to put the course together. You choose, for each topic, the key and
the number of partitions, and for each service, its consumer group and how many consumers it
runs. Then a checker sends PlayBall's events the way you designed, runs your groups, and
reports what holds: which order is kept, how many consumers can actually work, and how even
the load is. First on the simulator, then on the real broker.

**Time:** about 30 minutes. **Needs:** the simulator; Kafka is optional (its cells print one
line and move on without it).

PlayBall now runs matches as well as accounts:

- the *match service* publishes `match-events` (kickoff, goal, yellow card, substitution,
  final whistle). Each event has a `match_id`, a `team_id` (two teams per match), a
  `player_id` and a `tournament_id` (one tournament, the spring cup);
- the *auth service* publishes `user-accounts` events (created, e-mail changed, joined team,
  deleted), each with an `account_id`;
- the *scoreboard* service must see each match's events **in order** (a goal after the
  kickoff, never before), and needs 4 consumers at peak;
- the *group-management service* must see each account's events in order.
"""
    ),
    md(
        """
## 1. The questions, and what the course said

1. **Which key?** Kafka keeps order only *within a partition* (notebook 02). Records with the
   same key go to the same partition (notebook 01). So key by the entity whose order matters.
2. **How many partitions?** In a group, each partition has one owner, so a group can use at
   most as many consumers as there are partitions that receive records (notebook 03).
3. **Which groups?** One group per service: every group reads everything (notebook 03).
4. **How even?** A key with few values (or one "hot" value) puts most records in a few
   partitions, and one consumer does most of the work.

`check_design` (from `simkafka.design`) takes a design as a dict and returns one row per
group: `order_kept` (every `order_by` value's events sit in one partition),
`sees_everything`, `max_useful_consumers` (partitions that received records),
`active_consumers` (members that got records) and `skew` (the busiest member's records over
the mean per member; 1.0 is even).
"""
    ),
    golden(
        """
from simkafka.design import check_design, playball_events

events = playball_events()
print(len(events), "events, for example:")
for event in events[:3]:
    print(" ", event)
"""
    ),
    md(
        """
## 2. A first design: key match events by team

A first idea: the scoreboard shows team statistics, so key `match-events` by `team_id`.

**Predict, then run.** Is each match's order kept?
"""
    ),
    golden(
        """
by_team = {
    "topics": {"match-events": {"partitions": 4, "key": "team_id"}},
    "groups": {"scoreboard": {"topic": "match-events", "consumers": 4, "order_by": "match_id"}},
}
first = check_design("sim", by_team)
print(first.drop(columns=["topic", "partitions"]).to_string(index=False))
for problem in first.attrs["summary"]["problems"]:
    print("-", problem)
"""
    ),
    md(
        """
The two teams of a match hash to different partitions for 3 of the 4 matches. Then a goal by
team B can be read before the kickoff by team A: another consumer owns it, or the same one
reads the partitions in its own order. The key must be the entity whose order you need.
"""
    ),
    *exercise(
        """
**Exercise 1.** Someone suggests the key `tournament_id`: "then *everything* is in order".
Check it with 4 partitions and 4 consumers. Is the order kept? How many consumers work? Why
is that a bad design?
"""
    ),
    solution(
        """
by_tournament = {
    "topics": {"match-events": {"partitions": 4, "key": "tournament_id"}},
    "groups": {"scoreboard": {"topic": "match-events", "consumers": 4, "order_by": "match_id"}},
}
hot = check_design("sim", by_tournament)
print(hot[["order_kept", "max_useful_consumers", "active_consumers", "skew"]].to_string(index=False))
print(hot.attrs["summary"]["problems"])
# Order is kept (one partition holds everything), but only one consumer of four works:
# skew 4.0. A single hot key gives up all parallelism.
"""
    ),
    *exercise(
        """
**Exercise 2.** Write a design that passes: `match-events` for the scoreboard (4 consumers,
order by `match_id`) and `user-accounts` for `groups-service` (3 consumers, order by
`account_id`). Choose the keys and partition counts. Check it: `attrs["summary"]["ok"]`
should be `True`. Then try `user-accounts` with 2 partitions and 3 consumers: what goes
wrong?
"""
    ),
    solution(
        """
playball = {
    "topics": {
        "match-events": {"partitions": 4, "key": "match_id"},
        "user-accounts": {"partitions": 3, "key": "account_id"},
    },
    "groups": {
        "scoreboard": {"topic": "match-events", "consumers": 4, "order_by": "match_id"},
        "groups-service": {"topic": "user-accounts", "consumers": 3, "order_by": "account_id"},
    },
}
result = check_design("sim", playball)
print(result.drop(columns=["topic"]).to_string(index=False))
print(result.attrs["summary"])

too_few = {
    "topics": {"user-accounts": {"partitions": 2, "key": "account_id"}},
    "groups": {"groups-service": {"topic": "user-accounts", "consumers": 3, "order_by": "account_id"}},
}
print(check_design("sim", too_few).attrs["summary"]["problems"])
# With 2 partitions the third consumer owns nothing and gets nothing to do.
"""
    ),
    md(
        """
## 3. The course's design

The design below keys each topic by the entity whose order matters, and gives each group as
many partitions as consumers. With only 4 matches and 6 accounts in this sample, the hash
does not spread them perfectly (skew 1.5 for accounts: one partition got 3 accounts' events
and another only 1). With thousands of accounts the load evens out. In production you would
also leave room to grow: more partitions than today's consumers, since adding partitions
later moves keys to other partitions (notebook 01).
"""
    ),
    golden(
        """
design = {
    "topics": {
        "match-events": {"partitions": 4, "key": "match_id"},
        "user-accounts": {"partitions": 3, "key": "account_id"},
    },
    "groups": {
        "scoreboard": {"topic": "match-events", "consumers": 4, "order_by": "match_id"},
        "groups-service": {"topic": "user-accounts", "consumers": 3, "order_by": "account_id"},
    },
}
checked = check_design("sim", design)
print(checked.drop(columns=["topic"]).to_string(index=False))
print("ok:", checked.attrs["summary"]["ok"])
"""
    ),
    md(
        """
## 4. The same design on real Kafka

The checker creates the topics on the broker, sends the events with kafka-python, runs each
group's consumers in their own threads until the broker's group is stable, and asks who
owns what. The broker hashes the keys with the same murmur2, and the range assignor makes the
same choice, so the table should be the same.
"""
    ),
    kafka(
        """
from simkafka.design import check_design
from simkafka.environment import broker_notice
from simkafka.experiments import frames_agree

notice = broker_notice("kafka")
if notice:
    print(notice)
else:
    on_kafka = check_design("kafka", design)
    print(on_kafka.drop(columns=["topic"]).to_string(index=False))
    print("ok on Kafka:", on_kafka.attrs["summary"]["ok"])
    print("same table as the simulator:", frames_agree(checked, on_kafka))
"""
    ),
    md(
        """
## 5. What the checker does not check

- **Keys must stay stable.** If a producer in another language uses a different hash
  (librdkafka's default is CRC32, notebooks 01-02), the same key lands elsewhere.
- **Growing partitions moves keys**, so order per key can break at the moment you add them.
- **Processing order is not the whole story**: a crash re-delivers what was not committed
  (the notebooks on delivery), and two writers can still lose an update (notebook 08).
- **Retention** decides how far back a new service can replay (notebook 07).

## Recap

- Key by the entity whose order you need; order holds only within a partition.
- Partitions cap how many consumers of one group can work; extra consumers sit idle.
- One group per service; each reads everything.
- A key with few or hot values skews the load, and a single key gives up all parallelism.
- Check a design on the simulator first; the broker gives the same answer.

**You have finished the course.** Go back to [00 - Setup](00-setup.ipynb) to run the
experiments on a real broker, or read further: Kafka's documentation on
[design](https://kafka.apache.org/documentation/#design) and
[consumer configuration](https://kafka.apache.org/documentation/#consumerconfigs), and
`docs/simulator.md` for what the simulator models exactly.
"""
    ),
]
