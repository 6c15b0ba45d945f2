"""Notebook 04: rebalancing. Join, leave, crash; eager against cooperative; assignors; timeouts.

Built into notebooks/04-rebalancing.ipynb by tools/build_notebooks.py.
"""

from __future__ import annotations

from course import code, exercise, golden, kafka, md, shown, solution

NAME = "04-rebalancing"

CELLS = [
    md(
        """
# 04 - Rebalancing: when members come and go

**What you'll learn:** what a *rebalance* is and what triggers one (a member joins, leaves,
crashes, or is too slow); why an *eager* rebalance stops the whole group while a
*cooperative* one moves only what must move; how the four assignors differ in how many
partitions they move; how *static membership* lets a member restart without a rebalance;
and the two timeouts that remove a member, `session.timeout.ms` and `max.poll.interval.ms`.

**Time:** about 40 minutes. **Needs:** the simulator only; Kafka is optional (its cells
print one line and move on without it).

The group-management service (`groups-service`) now runs as several copies that are
deployed, scaled and sometimes crash. Each change of membership makes the group agree again
on who owns which partition of `user-accounts`: that is a rebalance.
"""
    ),
    md(
        """
## 1. Join, leave, crash

A rebalance starts when the group coordinator (the broker that manages the group,
notebook 03) learns that membership changed:

- a member **joins** (it sends a JoinGroup request);
- a member **leaves** cleanly (its `close()` sends a LeaveGroup request): the rebalance
  starts at once;
- a member **crashes**: it sends nothing. Every member sends the coordinator a small
  *heartbeat* every few seconds to say "still alive"; the coordinator notices the crash only
  when no heartbeat came for `session.timeout.ms` (45 s by default since Kafka 3.0; 6 s here,
  the broker's minimum). Until then, the crashed member's partitions are read by nobody.

Each rebalance starts a new *generation* of the group: a counter the coordinator raises by
one every time the group agrees on a new assignment. `group_ownership` runs a script of
steps on the simulator and tells who owns each of 6 partitions after each step.
"""
    ),
    golden(
        """
from simkafka.experiments import group_ownership

script = [("join", "a"), ("join", "b"), ("join", "c"), ("leave", "b"), ("crash", "c")]
steps = group_ownership("sim", partitions=6, script=script)
for (_, action, member), rows in steps.groupby(["step", "action", "member"], sort=False):
    owners = " ".join(f"{p}:{o}" for p, o in zip(rows.partition, rows.owner, strict=True))
    print(f"{action:5} {member}  generation {rows.generation.iloc[0]}  {owners}")
"""
    ),
    md(
        """
Read it as partition:owner. Five changes, five generations; after the crash `a` owns
everything again, but only once `c`'s session had run out.

## 2. Eager against cooperative

What happens *during* a rebalance depends on the protocol the assignor uses:

- **eager** (`range`, `roundrobin`, `sticky`): before rejoining, every member gives up
  (*revokes*) **all** its partitions. Nobody reads until the new assignment arrives, even a
  member that gets the very same partitions back;
- **cooperative** (`cooperative-sticky`, KIP-429): members keep their partitions; only the
  ones that move to another member are revoked, and a second, quick rebalance hands them to
  their new owner. The rest of the group keeps reading.

A consumer learns of this through its *rebalance listener*, two functions of yours that
the client calls: `on_partitions_revoked(partitions)` before it gives partitions up (the
place to commit what you processed), then `on_partitions_assigned(partitions)`.
`rebalance_timeline` records what each member was told while `a`, `b` and `c` join a
4-partition topic, one row per step and member. Like every experiment in this course it
returns a pandas DataFrame, with a short summary of the run in `table.attrs["summary"]`
(pandas' place for extra facts about a table): how many partitions were revoked, and how
many changed owner.

**Predict, then run.** When `c` joins, one partition moves from `b` to `c`. With `range`,
which partitions does `a` revoke? With `cooperative-sticky`?
"""
    ),
    golden(
        """
from simkafka.rebalancing import rebalance_timeline

eager = rebalance_timeline("sim", "range", partitions=4)
cooperative = rebalance_timeline("sim", "cooperative-sticky", partitions=4)
for name, table in [("range (eager)", eager), ("cooperative-sticky", cooperative)]:
    summary = table.attrs["summary"]
    print(f"{name}: {summary['revoked']} partitions revoked to move {summary['moved']}")
    print(table.to_string(index=False))
    print()
"""
    ),
    md(
        """
The same two runs drawn: one row per partition, coloured by its owner, listener call after
listener call (`listener_calls` runs the same script and lists each call). A hatched grey
gap is a partition that was revoked and not yet assigned again: nobody reads it.
"""
    ),
    shown(
        """
from simkafka.rebalancing import listener_calls
from simkafka.viz import panels
from simkafka.viz import rebalance_timeline as draw_timeline

fig, axes = panels(2, 1, height=6)
for ax, strategy in zip(axes, ["range", "cooperative-sticky"], strict=True):
    draw_timeline(listener_calls("sim", strategy, partitions=4), 4, ax=ax)
    ax.set_title(f"{strategy}: a, b, c join", loc="left")
fig
"""
    ),
    md(
        """
With `range`, `a` revoked partitions 0 and 1 when `c` joined and was assigned the same 0
and 1 back: a pause for nothing. In all, eager revoked 8 partitions to move 3. With
`cooperative-sticky`, `a` is not even in step 3: only partition 3 stopped, and 3 revocations
moved 3 partitions. (In the cooperative listener, `assigned` lists only the *new*
partitions; in the eager one, everything the member owns.)

## 3. The assignors compared

How many partitions move also depends on the assignor. `assignor_moves` starts `a`, `b`,
`c` on 6 partitions, then `d` joins, then `a` leaves. `moved` is how many partitions
changed owner; `needed` the fewest that any balanced assignment must move (the newcomer's
share, or what the leaver owned).
"""
    ),
    golden(
        """
from simkafka.rebalancing import assignor_moves

print(assignor_moves("sim", partitions=6).to_string(index=False))
"""
    ),
    md(
        """
`range` and `roundrobin` compute each assignment from scratch, from the sorted member list:
when `a` leaves, almost everything shifts. The sticky assignors start from the current
owners and move only what balance requires. The assignor is a pure function, so you can ask
it directly: `assign(strategy, subscriptions, partition counts, current)`, where `current`
is who owned what before.
"""
    ),
    golden(
        """
from simkafka import assign

before = {
    "a": [("user-accounts", 0), ("user-accounts", 1)],
    "b": [("user-accounts", 2), ("user-accounts", 3)],
    "c": [("user-accounts", 4), ("user-accounts", 5)],
}
after_a_left = {"b": ["user-accounts"], "c": ["user-accounts"]}
for strategy in ["range", "sticky"]:
    result = assign(strategy, after_a_left, {"user-accounts": 6}, current=before)
    print(strategy, {m: [tp.partition for tp in tps] for m, tps in result.items()})
"""
    ),
    md(
        """
## 4. Static membership: restart without a rebalance

A rolling deploy restarts each copy of the service. Normally a restarted consumer is a
*new* member: the coordinator gives each member an id when it joins, and the new process
gets a new one, while the old id stays in the group until its session expires (the old
process never said goodbye). This is *dynamic* membership, the default.

With **static membership** (KIP-345) each copy sets `group_instance_id` (say, its host
name), a name that stays the same across restarts. A static member sends no LeaveGroup when
it stops, and the coordinator recognises the restarted process by that name as the member
it already knows.

**Predict, then run.** `b` crashes and restarts at once, in a dynamic group and in a static
one. How many rebalances does each group go through, and who owns what afterwards?
"""
    ),
    golden(
        """
from simkafka.rebalancing import static_restart

print(static_restart("sim").to_string(index=False))
"""
    ),
    md(
        """
The same owners in the end, but the dynamic group rebalanced once (and partition 1 waited
6 seconds for the old `b`'s session to expire), the static group not at all: the restarted
`b` came back within `session.timeout.ms` under the same `group_instance_id`, and the
coordinator handed it its old partitions. The price: a static member that really died is
noticed only after its session timeout, so static members usually get a longer
`session.timeout.ms`.

## 5. Two timeouts: a dead member, a slow member

Two different settings remove a member, and it helps to keep them apart. (Kafka's
documentation writes settings with dots, `session.timeout.ms`; kafka-python and this course
take the same setting as a Python argument with underscores, `session_timeout_ms`.)

- `session.timeout.ms` (default 45000 since Kafka 3.0) is about **liveness**. A background
  heartbeat thread sends a heartbeat every `heartbeat.interval.ms` (default 3000). A
  crashed process stops heartbeating and is removed when the session runs out.
- `max.poll.interval.ms` (default 300000) is about **progress**. The heartbeat thread keeps
  going while your code processes records, so a slow member is still "alive"; but if it
  does not call `poll()` again within `max.poll.interval.ms`, the client leaves the group.

`removal_timing` measures both, with a 6 s session and a 3 s poll interval, looking at the
group every 100 ms:
"""
    ),
    golden(
        """
from simkafka.rebalancing import removal_timing

print(
    removal_timing("sim", session_timeout_ms=6000, max_poll_interval_ms=3000).to_string(index=False)
)
"""
    ),
    md(
        """
The crashed member went after the session (6 s), the slow one after the poll interval
(3 s), although its heartbeats never stopped. (6100 and 3100: the group is looked at every
100 ms, so the removal is seen at the first look after the timeout.)

**What does that do to a slow service?** `slow_processing` runs one member of
`groups-service` for three rounds of poll, process, commit, 2 records per poll, with
`max_poll_interval_ms=3000`, once with processing that takes 4 s per batch and once with
1 s. (A commit saves "I have processed up to here" in Kafka; notebook 05 is about it.)

**Predict, then run.** Which offsets does each round get, and do the commits succeed?
"""
    ),
    golden(
        """
from simkafka.rebalancing import slow_processing

print("processing 4 s per batch, max_poll_interval_ms=3000:")
print(slow_processing("sim", processing_ms=4000, max_poll_interval_ms=3000).to_string(index=False))
print("processing 1 s per batch:")
print(slow_processing("sim", processing_ms=1000, max_poll_interval_ms=3000).to_string(index=False))
"""
    ),
    md(
        """
The slow member reads offsets 0 and 1 forever and never commits. **Why slow processing
causes rebalance loops:** a member that takes longer than `max.poll.interval.ms` to process
a batch has left the group by the time it commits, so the commit fails with
`CommitFailedError` (its partitions may already be someone else's). Its next `poll()` joins
again, causing another rebalance, and fetches from the last *committed* offset: the same
batch again. Every round, the whole group pauses for a rebalance.

The fixes: fetch fewer
records per poll (`max_poll_records`), process faster, or raise `max_poll_interval_ms`
above the longest batch you expect. Raising `session_timeout_ms` does not help: the member
is not dead, only slow.
"""
    ),
    md(
        """
## Try it: the rebalance dashboard

A group on the simulator that you drive by hand: `groups-service` reading
`user-accounts`, with 3 consumers to start. **add consumer** starts a member, **stop**
closes the member chosen in the **member** list (LeaveGroup: a rebalance at once),
**crash** kills it (the group waits for its session: 6 s, that is 6 **step**s; each step,
every consumer polls once and commits, and 1 s of simulated time passes), **produce** sends
records, and **rebalance** switches between eager and cooperative. Watch the timeline:
which partitions go without an owner in each rebalance?
"""
    ),
    code(
        """
from simkafka.widgets import rebalance_dashboard

dashboard = rebalance_dashboard(partitions=6, consumers=3, seed=0)
dashboard
"""
    ),
    md(
        """
## 6. The same on the real broker

First the eager and cooperative timelines on Kafka (about 15 seconds: members learn of
each rebalance at their next heartbeat). The members are kafka-python consumers, each
polling in its own thread; kafka-python implements both the eager and the cooperative
protocol.
"""
    ),
    kafka(
        """
from simkafka.environment import broker_notice
from simkafka.experiments import frames_agree
from simkafka.rebalancing import rebalance_timeline

notice = broker_notice("kafka")
if notice:
    print(notice)
else:
    for strategy, simulated in [("range", eager), ("cooperative-sticky", cooperative)]:
        real = rebalance_timeline("kafka", strategy, partitions=4)
        print(f"{strategy}: Kafka {real.attrs['summary']}")
        print(f"    same listener calls as the simulator: {frames_agree(simulated, real)}")
"""
    ),
    md(
        """
Then the two timeouts, on the real clock (about 10 seconds). On the broker the numbers
are not exact: the session counts from the crashed member's *last heartbeat* (sent up to
1 s before the crash here), and the client notices its expired poll interval at its next
heartbeat.
"""
    ),
    kafka(
        """
from simkafka.environment import broker_notice
from simkafka.rebalancing import removal_timing

notice = broker_notice("kafka")
if notice:
    print(notice)
else:
    real = removal_timing("kafka", session_timeout_ms=6000, max_poll_interval_ms=3000)
    print(real.to_string(index=False))
"""
    ),
    md(
        """
## 7. Comparing the two

- **The same decisions.** The listener calls, the owners after each step, the partitions
  each assignor moves, the static restart and the slow-processing loop give the same
  tables on the simulator and on Kafka (`tests/test_rebalancing.py` checks each one).
- **Different clocks.** The simulator's timeouts fire exactly when they run out; on the
  broker they depend on when the last heartbeat was sent, so they vary by about a second
  from run to run.
- **Different protocols are possible.** Both sides here speak Kafka's *classic* group
  protocol, where the group leader (one of the clients) runs the assignor and members
  rejoin in rounds. Since Kafka 4.0 the broker also serves the new *consumer* protocol of
  KIP-848 (generally available in 4.0; `group.protocol=consumer` in the Java client): the
  broker computes assignments itself and moves partitions incrementally, without a
  group-wide pause. kafka-python and the simulator use the classic protocol, which Kafka
  4.x still serves.
"""
    ),
    md(
        """
## Exercises
"""
    ),
    exercise(
        """
**Exercise 1.** With **7** partitions, start 3 members, then let a 4th join and the first
leave. For each assignor, how many partitions move, and how many had to? Which assignors
move exactly what is needed? (Use `assignor_moves`.)
"""
    ),
    solution(
        """
from simkafka.rebalancing import assignor_moves

moves = assignor_moves("sim", partitions=7)
print(moves.to_string(index=False))
print("minimal:", sorted(set(moves.strategy[moves.moved == moves.needed])))
"""
    ),
    exercise(
        """
**Exercise 2.** The slow member of section 5 processes each batch in 4 s. Make it progress
with two different fixes: (a) raise `max_poll_interval_ms`; (b) keep the 3 s interval but
fetch 1 record per poll, with processing taking 2 s per record. Show the offsets of each
round and whether the commits succeed. (Hint: `slow_processing(backend, processing_ms,
rounds, max_poll_interval_ms=..., batch=...)`.)
"""
    ),
    solution(
        """
from simkafka.rebalancing import slow_processing

longer_interval = slow_processing("sim", processing_ms=4000, max_poll_interval_ms=10_000)
print("(a)", longer_interval.to_string(index=False), sep="\\n")
smaller_batches = slow_processing("sim", processing_ms=2000, max_poll_interval_ms=3000, batch=1)
print("(b)", smaller_batches.to_string(index=False), sep="\\n")
"""
    ),
    md(
        """
## Recap

- A **rebalance** follows every change of membership: a join, a clean leave (at once), a
  crash (after `session.timeout.ms`), or a member too slow between polls (after
  `max.poll.interval.ms`). Each one starts a new generation.
- **Eager** assignors revoke everything from everyone at every rebalance;
  **cooperative-sticky** revokes only the partitions that move, so the rest of the group
  keeps reading.
- **range** and **roundrobin** may move many partitions; **sticky** and
  **cooperative-sticky** move only what balance needs.
- **Static membership** (`group_instance_id`) lets a member restart within its session
  without any rebalance.
- **Liveness and progress are separate:** heartbeats keep the session alive, `poll()` keeps
  the member in the group. Processing slower than `max.poll.interval.ms` gives
  `CommitFailedError` and a loop that re-reads the same batch.

**Next:** [05 - offsets and delivery](05-offsets-and-delivery.ipynb): what a commit saves,
and what a consumer reads twice, or never, after a crash.
"""
    ),
]
