"""Dashboards: ipywidgets controls that drive a SimCluster, with its logs and group drawn live.

A :class:`Dashboard` owns one ``SimCluster``, one topic and the members of one consumer
group. Sliders set the partitions, the live consumers and the distinct keys; buttons add,
stop (close: LeaveGroup) and crash (no LeaveGroup: the group waits for the session) a
consumer, produce records, step time, play and reset; a dropdown picks the assignor and a
toggle the rebalance protocol, which follows the assignor as in Kafka (``cooperative``
is ``cooperative-sticky``; the others rebalance eagerly). Notebooks and tests drive it the
same way, through its methods or by setting widget values and calling ``button.click()``.

Drawing comes from :mod:`simkafka.viz`. Each panel (partition logs, group ownership, and in
:func:`rebalance_dashboard` and :func:`lag_dashboard` the rebalance timeline or the lag) is its
own matplotlib figure, rendered with Agg into an ``ipywidgets.Image`` as PNG: that works in
JupyterLab, in the classic notebook and in a headless test alike, with no ipympl. A step
redraws only the panels whose content changed, from tables it caches until the logs move.

>>> dash = Dashboard(partitions=3, consumers=2, keys=4, seed=1)
>>> dash.owners()
{0: 'consumer-1', 1: 'consumer-1', 2: 'consumer-2'}
>>> dash.produce(12); dash.step()
>>> int(dash.cluster.partitions("user-accounts")["records"].sum())
12
"""

from __future__ import annotations

import html
import io
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .clients import NewPartitions
from .cluster import SimCluster
from .errors import IllegalArgumentError, KafkaError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = [
    "ASSIGNORS",
    "PANELS",
    "Dashboard",
    "group_dashboard",
    "lag_dashboard",
    "rebalance_dashboard",
]

#: The assignors a dashboard offers, and the rebalance protocol each one uses.
ASSIGNORS = {
    "range": "eager",
    "roundrobin": "eager",
    "sticky": "eager",
    "cooperative-sticky": "cooperative",
}
#: Figure width in inches and resolution: small PNGs encode fast.
WIDTH_IN = 9.0
DPI = 72
#: The drawings a dashboard can show, each a panel of its own.
PANELS = ("logs", "ownership", "timeline", "lag")
#: The rebalance timeline shows at most this many of the latest listener calls.
TIMELINE_CALLS = 40
#: Keys named in the legend at most; the rest are counted.
LEGEND_KEYS = 12
#: The longest a slider goes.
MAX_PARTITIONS = 24
MAX_CONSUMERS = 12
MAX_KEYS = 50


class _Panel:
    """One drawing of the dashboard: a figure rendered by Agg alone into PNG bytes.

    A redraw asks a :mod:`simkafka.viz` function to draw into the panel's Axes again, but
    renders as matplotlib's blitting does: the decorations (ticks, labels, titles) are
    rendered once and kept as a background, and while they stay the same only the data
    artists are drawn over it. Text is most of what a render costs, and a step rarely
    changes any: it moves offsets, not axes.
    """

    def __init__(
        self, height_in: float, top_in: float, bottom_in: float, right_in: float = 0.25
    ) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI)
        self.canvas = FigureCanvasAgg(self.figure)
        self.ax = self.figure.add_subplot()
        self.top_in = top_in
        self.bottom_in = bottom_in
        self.right_in = right_in
        self._background: Any = None
        self._decorations: tuple | None = None

    def draw(self, drawing: Callable[[Any], Any], height_in: float) -> bytes:
        """``drawing(ax)`` on a wiped Axes of a ``height_in`` tall figure; the PNG bytes."""
        self._wipe()
        self._place(height_in)
        drawing(self.ax)
        data = sorted(self._data_artists(), key=lambda a: a.get_zorder())
        decorations = self._decoration_key()
        if decorations != self._decorations:
            shown = [a for a in data if a.get_visible()]
            for artist in shown:
                artist.set_visible(False)
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            self._decorations = decorations
            for artist in shown:
                artist.set_visible(True)
        else:
            self.canvas.restore_region(self._background)
        for artist in data:
            self.ax.draw_artist(artist)
        return self._png()

    def _wipe(self) -> None:
        """Remove what the last drawing added, but keep the Axes and its tick objects.

        ``Axes.clear()`` would throw the ticks away too, and making them again costs much
        of a redraw; the drawing sets ticks, limits and labels afresh anyway. The data limits
        are forgotten and autoscaling is on again, as after ``clear()``.
        """
        for artist in self._data_artists():
            artist.remove()
        if self.ax.legend_ is not None:
            self.ax.legend_.remove()
        self.ax.relim()
        self.ax.set_autoscale_on(True)

    def _data_artists(self) -> list[Any]:
        ax = self.ax
        return [*ax.images, *ax.collections, *ax.patches, *ax.lines, *ax.texts, *ax.artists]

    def _place(self, height_in: float) -> None:
        """Size the figure and put the Axes at fixed margins (in inches): no layout engine."""
        self.figure.set_size_inches(WIDTH_IN, height_in)
        left, right = 1.1 / WIDTH_IN, 1 - self.right_in / WIDTH_IN
        bottom, top = self.bottom_in / height_in, 1 - self.top_in / height_in
        self.ax.set_position((left, bottom, right - left, top - bottom))

    def _decoration_key(self) -> tuple:
        """Everything the background shows: when it changes, the background is rendered again."""
        ax = self.ax
        return (
            tuple(self.figure.get_size_inches()),
            ax.get_xlim(),
            ax.get_ylim(),
            tuple(ax.get_xticks()),
            tuple(t.get_text() for t in ax.get_xticklabels()),
            tuple(ax.get_yticks()),
            tuple(t.get_text() for t in ax.get_yticklabels()),
            tuple(ax.get_title(loc=loc) for loc in ("left", "center", "right")),
            ax.get_xlabel(),
            ax.get_ylabel(),
            tuple(spine.get_visible() for spine in ax.spines.values()),
            tuple(t.get_text() for t in ax.legend_.get_texts()) if ax.legend_ else (),
        )

    def _png(self) -> bytes:
        """The rendered buffer as PNG, lightly compressed (a dashboard redraws often)."""
        from PIL import Image

        buf = io.BytesIO()
        width, height = self.canvas.get_width_height()
        Image.frombuffer(
            "RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1
        ).save(buf, format="png", compress_level=1)
        return buf.getvalue()


class Dashboard:
    """A consumer group on a SimCluster, with controls and live drawings.

    ``partitions``, ``consumers`` and ``keys`` start the sliders; ``assignor`` is one of
    :data:`ASSIGNORS`. Each :meth:`step` lets every live consumer poll once (at most
    ``records_per_poll`` records) and commit, then moves the simulated clock by
    ``step_ms``; a crashed member is removed after ``session_timeout_ms``, so after
    ``session_timeout_ms / step_ms`` steps. Consumers are named ``consumer-1``,
    ``consumer-2`` ... (their ``client_id``; a name is never reused).

    ``panels`` chooses the drawings, from :data:`PANELS`: ``logs`` (the partition logs with
    the group's committed offsets and each consumer's position), ``ownership`` (who owns
    which partition, as the group coordinator has it), ``timeline`` (the rebalance
    listener calls, from the cluster's events) and ``lag`` (each partition's lag, sampled
    after every step).

    ``.cluster`` is the SimCluster, ``.widget`` the ipywidgets box (a Dashboard displays
    as it in a notebook), ``.figures`` the matplotlib figure of each panel and ``.images``
    the Image widget it is shown in.
    """

    def __init__(
        self,
        partitions: int = 6,
        consumers: int = 2,
        keys: int = 6,
        *,
        assignor: str = "range",
        panels: tuple[str, ...] = ("logs", "ownership"),
        records: int = 30,
        records_per_poll: int = 5,
        step_ms: int = 1000,
        session_timeout_ms: int = 6000,
        seed: int = 0,
        topic: str = "user-accounts",
        group: str = "groups-service",
    ) -> None:
        if assignor not in ASSIGNORS:
            raise IllegalArgumentError(
                f"unknown assignor {assignor!r}: use one of {', '.join(ASSIGNORS)}"
            )
        for name, value, low, high in (
            ("partitions", partitions, 1, MAX_PARTITIONS),
            ("consumers", consumers, 0, MAX_CONSUMERS),
            ("keys", keys, 1, MAX_KEYS),
            ("records", records, 1, 100_000),
        ):
            # A slider would silently clamp a value out of its range: say so instead.
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise IllegalArgumentError(
                    f"{name} must be an int from {low} to {high} (the slider's range), "
                    f"got {value!r}"
                )
        unknown = [p for p in panels if p not in PANELS]
        if unknown or not panels:
            raise IllegalArgumentError(
                f"panels must be some of {', '.join(PANELS)}, got {list(panels)!r}"
            )
        self.seed = seed
        self.topic = topic
        self.group = group
        self.records_per_poll = records_per_poll
        self.step_ms = step_ms
        self.session_timeout_ms = session_timeout_ms
        self.cluster: SimCluster
        margins = {
            "logs": {"top_in": 0.35, "bottom_in": 0.5},
            "ownership": {"top_in": 0.55, "bottom_in": 0.15},
            "timeline": {"top_in": 0.75, "bottom_in": 1.5, "right_in": 2.0},
            "lag": {"top_in": 0.35, "bottom_in": 0.5, "right_in": 2.6},
        }
        self._panels = {name: _Panel(3.0, **margins[name]) for name in panels}
        self.figures: dict[str, Figure] = {n: p.figure for n, p in self._panels.items()}
        self._build_widgets(partitions, consumers, keys, assignor, records)
        self.reset()

    # -- the widgets -----------------------------------------------------------------------
    def _build_widgets(
        self, partitions: int, consumers: int, keys: int, assignor: str, records: int
    ) -> None:
        import ipywidgets as w

        def button(description: str, action: Callable[[], Any], tooltip: str) -> w.Button:
            b = w.Button(description=description, tooltip=tooltip, layout=w.Layout(width="auto"))
            b.on_click(lambda _: action())
            return b

        slider = {"continuous_update": False, "style": {"description_width": "initial"}}
        self.partitions_slider = w.IntSlider(
            partitions, min=1, max=MAX_PARTITIONS, description="partitions", **slider
        )
        self.consumers_slider = w.IntSlider(
            consumers, min=0, max=MAX_CONSUMERS, description="consumers", **slider
        )
        self.keys_slider = w.IntSlider(keys, min=1, max=MAX_KEYS, description="keys", **slider)
        self.assignor_dropdown = w.Dropdown(
            options=list(ASSIGNORS), value=assignor, description="assignor"
        )
        self.protocol_toggle = w.ToggleButtons(
            options=["eager", "cooperative"],
            value=ASSIGNORS[assignor],
            description="rebalance",
            tooltips=["every member revokes all it owns", "members revoke only what moves"],
        )
        self.records_text = w.BoundedIntText(
            records, min=1, max=100_000, description="records", layout=w.Layout(width="11em")
        )
        self.member_dropdown = w.Dropdown(options=[], description="member")
        self.produce_button = button("produce", self.produce, "send that many records")
        self.add_button = button("add consumer", self.add_consumer, "a new member subscribes")
        self.stop_button = button("stop", self.stop_consumer, "close: LeaveGroup, rebalance now")
        self.crash_button = button(
            "crash", self.crash_consumer, "no LeaveGroup: the group waits for the session"
        )
        self.step_button = button("step", self.step, "every member polls and commits once")
        self.reset_button = button("reset", self.reset, "a fresh cluster with these settings")
        self.play = w.Play(value=0, min=0, max=10**9, interval=700, show_repeat=False)
        self.status = w.HTML()
        self.legend = w.HTML()
        self.images = {name: w.Image(format="png") for name in self._panels}
        self._quiet = False

        self.partitions_slider.observe(self._on("set_partitions"), names="value")
        self.consumers_slider.observe(self._on("set_consumers"), names="value")
        self.keys_slider.observe(lambda _: self._draw_legend(), names="value")
        self.assignor_dropdown.observe(self._on("set_assignor"), names="value")
        self.protocol_toggle.observe(self._on("set_protocol"), names="value")
        self.play.observe(self._on_play, names="value")

        self.widget = w.VBox(
            [
                w.HBox([self.partitions_slider, self.consumers_slider, self.keys_slider]),
                w.HBox([self.assignor_dropdown, self.protocol_toggle]),
                w.HBox([self.records_text, self.produce_button, self.add_button]),
                w.HBox([self.member_dropdown, self.stop_button, self.crash_button]),
                w.HBox([self.step_button, self.play, self.reset_button]),
                self.status,
                self.legend,
                *self.images.values(),
            ]
        )

    def _on(self, method: str) -> Callable[[dict], None]:
        """An observer calling ``method(new value)``, unless the change came from the code."""

        def observe(change: dict) -> None:
            if not self._quiet:
                getattr(self, method)(change["new"])

        return observe

    def _on_play(self, change: dict) -> None:
        if not self._quiet and change["new"] > change["old"]:
            self.step()

    def _set_quietly(self, widget: Any, **values: Any) -> None:
        """Set widget values without their observers acting (the code already did)."""
        self._quiet = True
        try:
            for name, value in values.items():
                setattr(widget, name, value)
        finally:
            self._quiet = False

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # -- state -----------------------------------------------------------------------------
    @property
    def assignor(self) -> str:
        return self.assignor_dropdown.value

    @property
    def members(self) -> list[str]:
        """The live consumers' names, in the order they joined."""
        return list(self._members)

    @property
    def time_ms(self) -> int:
        """Simulated milliseconds since the last reset."""
        return self.cluster.now_ms - self.cluster.start_time_ms

    def _names(self) -> dict[str, str]:
        """``{member id: name}`` of every consumer made since the last reset that joined."""
        return {c.member_id: name for name, c in self._every.items() if c.member_id}

    def owners(self) -> dict[int, str | None]:
        """``{partition: owner's name}`` as the group coordinator has it (None: no owner)."""
        names = self._names()
        state = self.cluster.group_state(self.group)
        return {
            int(p): names.get(owner) if isinstance(owner, str) else None
            for p, owner in zip(state["partition"], state["owner"], strict=True)
        }

    def crashed_in_group(self) -> list[str]:
        """Crashed consumers the group still counts as members (their session still runs)."""
        group = self.cluster.coordinator.groups.get(self.group)
        in_group = set() if group is None else set(group.members)
        return [n for n in self._crashed if self._every[n].member_id in in_group]

    # -- actions ---------------------------------------------------------------------------
    def reset(self) -> None:
        """A fresh cluster: the topic with the slider's partitions, its consumers settled."""
        self.cluster = SimCluster(seed=self.seed)
        self.cluster.create_topic(self.topic, partitions=self.partitions_slider.value)
        self._producer = self.cluster.producer()
        self._keys = random.Random(self.seed)
        self._members: dict[str, Any] = {}
        self._every: dict[str, Any] = {}
        self._crashed: list[str] = []
        self._number = 0
        self._tables: tuple[tuple, Any, Any] | None = None
        self._drawn: dict[str, Any] = {}
        self._lag_rows: list[tuple[int, int, Any, int]] = []
        self._set_quietly(self.play, value=0, playing=False)
        for _ in range(self.consumers_slider.value):
            self._join()
        if self._members:
            self.cluster.settle(*self._members.values())
        self._say(
            f"a fresh cluster: {self.partitions_slider.value} partitions, "
            f"{len(self._members)} consumers ({self.assignor})"
        )

    def _join(self) -> str:
        self._number += 1
        name = f"consumer-{self._number}"
        consumer = self.cluster.consumer(
            self.topic,
            group_id=self.group,
            client_id=name,
            partition_assignment_strategy=[self.assignor],
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=self.session_timeout_ms,
            heartbeat_interval_ms=min(3000, self.session_timeout_ms // 3),
        )
        self._members[name] = consumer
        self._every[name] = consumer
        return name

    def add_consumer(self) -> str | None:
        """A new member subscribes; it joins the group at its first poll (the next step)."""
        if len(self._members) >= MAX_CONSUMERS:
            self._say(f"at most {MAX_CONSUMERS} consumers here")
            return None
        name = self._join()
        self._say(f"{name} subscribed: it joins the group at its first poll (step)")
        return name

    def _target(self, name: str | None) -> str | None:
        if name is None:
            name = self.member_dropdown.value or (self.members[-1] if self._members else None)
        if name is not None and name not in self._members:
            raise IllegalArgumentError(
                f"no live consumer named {name!r}; live: {', '.join(self._members) or 'none'}"
            )
        return name

    def stop_consumer(self, name: str | None = None) -> str | None:
        """Close a member (the one chosen, else the newest): LeaveGroup, so a rebalance starts."""
        name = self._target(name)
        if name is None:
            self._say("no consumer to stop")
            return None
        self._members.pop(name).close(autocommit=False)
        self._say(f"{name} closed: it sent LeaveGroup, the others rebalance at their next poll")
        return name

    def crash_consumer(self, name: str | None = None) -> str | None:
        """Crash a member (the one chosen, else the newest): no LeaveGroup, no more heartbeats.

        Its partitions stay assigned to it, unread, until its session times out.
        """
        name = self._target(name)
        if name is None:
            self._say("no consumer to crash")
            return None
        self._members.pop(name).crash()
        self._crashed.append(name)
        steps = -(-self.session_timeout_ms // self.step_ms)
        self._say(
            f"{name} crashed: the group keeps its partitions until its session "
            f"({self.session_timeout_ms} ms, {steps} steps) runs out"
        )
        return name

    def produce(self, n: int | None = None) -> None:
        """Send ``n`` records (default: the records box), keys drawn from the slider's keys."""
        n = self.records_text.value if n is None else n
        keys = self.keys_slider.value
        draw = self._keys.randrange
        send = self._producer.send
        for _ in range(n):
            send(self.topic, key=f"acct-{draw(keys)}".encode(), value=b"event")
        self._producer.flush()
        self._say(f"produced {n} records over {keys} keys")

    def step(self) -> None:
        """Every live member polls once and commits; then ``step_ms`` of simulated time pass."""
        refused = []
        for name, consumer in self._members.items():
            consumer.poll(timeout_ms=0, max_records=self.records_per_poll)
            try:
                consumer.commit()
            except KafkaError as exc:  # CommitFailedError, RebalanceInProgressError ...
                refused.append(f"{name}: {type(exc).__name__}")
        self.cluster.advance(self.step_ms)
        if "lag" in self._panels:
            state = self.cluster.group_state(self.group).dropna(subset=["lag"])
            self._lag_rows += [
                (self.time_ms, int(p), owner, int(lag))
                for p, owner, lag in zip(
                    state["partition"], state["owner"], state["lag"], strict=True
                )
            ]
        message = f"stepped to t = {self.time_ms / 1000:g} s"
        if refused:
            message += "; commits refused during the rebalance (" + ", ".join(refused) + ")"
        self._say(message)

    def set_consumers(self, n: int) -> None:
        """Add or stop (newest first) consumers until ``n`` are live."""
        while len(self._members) < n:
            self._join()
        while len(self._members) > n:
            self._members.pop(self.members[-1]).close(autocommit=False)
        self._say(f"{n} live consumers: the group rebalances at their next poll")

    def set_partitions(self, n: int) -> None:
        """Grow the topic to ``n`` partitions; fewer needs a fresh cluster (Kafka cannot shrink)."""
        have = self.cluster.num_partitions(self.topic)
        if n > have:
            self.cluster.admin().create_partitions({self.topic: NewPartitions(n)})
            self._say(f"{self.topic} grew to {n} partitions: keys now land elsewhere")
        elif n < have:
            self._set_quietly(self.partitions_slider, value=n)
            self.reset()
            self._say(f"Kafka cannot remove partitions: a fresh cluster with {n}")

    def set_assignor(self, assignor: str) -> None:
        """Restart every live member with ``assignor`` (and the protocol it implies)."""
        if assignor not in ASSIGNORS:
            raise IllegalArgumentError(
                f"unknown assignor {assignor!r}: use one of {', '.join(ASSIGNORS)}"
            )
        self._set_quietly(self.assignor_dropdown, value=assignor)
        self._set_quietly(self.protocol_toggle, value=ASSIGNORS[assignor])
        count = len(self._members)
        for name in self.members:
            self._members.pop(name).close(autocommit=False)
        for _ in range(count):
            self._join()
        self._say(
            f"every member restarted with {assignor} ({ASSIGNORS[assignor]} rebalancing); "
            "they join at their first poll"
        )

    def set_protocol(self, protocol: str) -> None:
        """``cooperative`` is the cooperative-sticky assignor; ``eager`` is sticky's eager one."""
        if protocol == ASSIGNORS[self.assignor]:
            return
        self.set_assignor("cooperative-sticky" if protocol == "cooperative" else "sticky")

    # -- drawing ---------------------------------------------------------------------------
    def _say(self, message: str) -> None:
        """Show what happened, the clock and the group; then redraw what changed."""
        self._set_quietly(
            self.member_dropdown,
            options=self.members,
            value=self.members[-1] if self._members else None,
        )
        self._set_quietly(self.consumers_slider, value=len(self._members))
        self._set_quietly(self.partitions_slider, value=self.cluster.num_partitions(self.topic))
        group = self.cluster.coordinator.groups.get(self.group)
        facts = [f"t = {self.time_ms / 1000:g} s"]
        if group is not None:
            facts.append(f"generation {group.generation}, {group.state}")
        waiting = self.crashed_in_group()
        if waiting:
            facts.append("waiting for the session of " + ", ".join(waiting))
        self.status.value = f"<b>{html.escape(message)}</b><br>{html.escape('; '.join(facts))}"
        self.redraw()

    def _draw_legend(self) -> None:
        from . import viz

        swatch = (
            '<span style="display:inline-block;width:0.9em;height:0.9em;background:{};'
            'margin:0 0.25em 0 0.8em;vertical-align:middle"></span>{}'
        )
        shown = min(self.keys_slider.value, LEGEND_KEYS)
        keys = "".join(swatch.format(viz.key_color(f"acct-{k}"), f"acct-{k}") for k in range(shown))
        more = self.keys_slider.value - shown
        self.legend.value = (
            f"<small>keys:{keys}{f' +{more} more' if more else ''}<br>"
            "▲ committed offset of the group · ▼ each consumer's position, in its colour · "
            "solid bar: log start offset · dashed bar: log end offset</small>"
        )

    def _log_tables(self) -> tuple[tuple, pd.DataFrame, pd.DataFrame]:
        """(shape, records, partitions) of the topic; records are read again only if a log moved."""
        parts = self.cluster.partitions(self.topic)
        shape = tuple(zip(parts["log_start_offset"], parts["log_end_offset"], strict=True))
        if self._tables is None or self._tables[0] != shape:
            self._tables = (shape, self.cluster.records(self.topic), parts)
        return self._tables

    def redraw(self) -> None:
        """Redraw each panel whose content changed (a step usually moves only the logs)."""
        state = self.cluster.group_state(self.group)
        for name in self._panels:
            getattr(self, f"_draw_{name}")(state)
        if not self.legend.value:
            self._draw_legend()

    def _show(self, panel: str, key: Any, drawing: Callable[[Any], Any], height_in: float) -> None:
        """Draw ``panel`` unless what it shows (``key``) is what it showed last time."""
        if self._drawn.get(panel) != key:
            self.images[panel].value = self._panels[panel].draw(drawing, height_in)
            self._drawn[panel] = key

    def _draw_logs(self, state: pd.DataFrame) -> None:
        import pandas as pd

        from . import viz

        shape, records, parts = self._log_tables()
        committed = {
            self.group: {
                int(p): int(o)
                for p, o in zip(state["partition"], state["committed"], strict=True)
                if pd.notna(o)
            }
        }
        positions = {
            name: {tp.partition: c.position(tp) for tp in sorted(c.assignment())}
            for name, c in self._members.items()
        }
        self._show(
            "logs",
            (shape, repr(committed), repr(positions)),
            lambda ax: viz.partition_logs(
                records,
                parts,
                committed=committed,
                positions=positions,
                topic=self.topic,
                ax=ax,
                legend=False,
            ),
            height_in=1.0 + 0.28 * len(parts),
        )

    def _draw_ownership(self, state: pd.DataFrame) -> None:
        from . import viz

        listed = [c.member_id or name for name, c in self._members.items()]
        ownership = state[["partition", "owner"]]
        crashed = self.crashed_in_group()

        def drawing(ax: Any) -> None:
            viz.group_ownership(ownership, members=listed, ax=ax)
            labels = [t.get_text() for t in ax.get_yticklabels()]
            if crashed:
                ax.set_yticks(
                    ax.get_yticks(),
                    [f"{label} (crashed)" if label in crashed else label for label in labels],
                )

        owners = {o for o in ownership["owner"] if isinstance(o, str)}
        self._show(
            "ownership",
            (tuple(listed), tuple(map(str, ownership["owner"])), tuple(crashed)),
            drawing,
            height_in=0.9 + 0.4 * (len(set(listed) | owners) + 1),
        )

    def _draw_timeline(self, state: pd.DataFrame) -> None:

        from . import viz

        events = self.cluster.events()  # one list, in the order things happened
        events = events[
            events["event"].isin(("assign", "revoke", "lost"))
            & (events["group"] == self.group)
            & (events["topic"] == self.topic)
        ]
        events = _last_calls(events, TIMELINE_CALLS)
        partitions = self.cluster.num_partitions(self.topic)
        self._show(
            "timeline",
            (len(events), partitions, events["time_ms"].max() if len(events) else None),
            lambda ax: viz.rebalance_timeline(events, partitions, ax=ax),
            height_in=2.4 + 0.3 * partitions,
        )

    def _draw_lag(self, state: pd.DataFrame) -> None:
        import pandas as pd

        from . import viz

        lag = pd.DataFrame(self._lag_rows, columns=["time_ms", "partition", "member", "lag"])
        self._show(
            "lag",
            len(self._lag_rows),
            lambda ax: viz.lag_over_time(lag, by="partition", ax=ax),
            height_in=3.4,
        )


def _last_calls(events: pd.DataFrame, calls: int) -> pd.DataFrame:
    """The rows of the last ``calls`` listener calls (a call: one member's consecutive rows)."""
    keys = list(zip(events["time_ms"], events["member"], events["event"], strict=True))
    starts = [i for i, k in enumerate(keys) if i == 0 or k != keys[i - 1]]
    return events.iloc[starts[-calls] :] if len(starts) > calls else events


def group_dashboard(**settings: Any) -> Dashboard:
    """The consumer-group dashboard: partition logs and group ownership (see Dashboard).

    In a notebook cell, ``group_dashboard(partitions=6, consumers=3)`` shows the controls.
    """
    return Dashboard(**settings, panels=("logs", "ownership"))


def rebalance_dashboard(**settings: Any) -> Dashboard:
    """The rebalance dashboard: ownership and the rebalance timeline, with the logs above.

    Add, stop and crash consumers, switch between eager and cooperative rebalancing, and
    watch which partitions go without an owner in each rebalance.
    """
    return Dashboard(**settings, panels=("logs", "ownership", "timeline"))


def lag_dashboard(**settings: Any) -> Dashboard:
    """The lag dashboard: the partition logs and each partition's lag, step by step."""
    return Dashboard(**settings, panels=("logs", "lag"))
