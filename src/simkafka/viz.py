"""Drawings of what Kafka does: partition logs, group ownership, rebalances, lag, retention.

Every function takes the tables the simulator and a real broker both give (pandas DataFrames
with the same columns) and returns a matplotlib Figure, or draws into the ``ax=`` it is given
and returns that Axes' figure. Colours are one visual language across every drawing: a member
(or group, or queue reader) always has the colour :func:`member_color` gives its name, and a
key the colour :func:`key_color` gives it, whatever else is drawn and in whatever order.

How colours are chosen (deterministic, never by draw order):

* members use the Okabe–Ito palette without black; keys use Paul Tol's "muted" palette, so a
  key's cell never looks like a member's marker in the same drawing;
* a name in :data:`MEMBER_INDEX` (``a`` ... ``z``, ``first``, ``second``, the course's groups
  and readers) has that index; a name or key that ends in a number (``acct-7``,
  ``consumer-3``) uses the number; anything else a CRC-32 of its UTF-8 bytes;
* the index picks ``palette[index % len(palette)]``; past the palette's length, drawings that
  fill areas add a hatch (``HATCHES[index // len(palette)]``) and always a text label, so
  members that share a colour stay apart. Add your own names to :data:`MEMBER_INDEX`.

Member ids (``"a-<uuid>"``, as in ``SimCluster.group_state``) are shown as their client id
(``a``) when that is unambiguous in the drawing, else as ``a-1b2c``.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import matplotlib

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "HATCHES",
    "KEY_PALETTE",
    "MEMBER_INDEX",
    "MEMBER_PALETTE",
    "group_ownership",
    "key_color",
    "key_text",
    "log_tables",
    "member_color",
    "member_hatch",
    "partition_logs",
]

#: Okabe & Ito's colour-blind-safe palette without black (black is for offsets and text).
MEMBER_PALETTE = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")
#: Paul Tol's colour-blind-safe "muted" palette, for keys.
KEY_PALETTE = (
    "#CC6677",
    "#332288",
    "#DDCC77",
    "#117733",
    "#88CCEE",
    "#882255",
    "#44AA99",
    "#999933",
    "#AA4499",
)
#: Hatches that keep the second, third ... round of a palette apart in filled areas.
HATCHES = ("", "//", "..", "xx", "\\\\", "++")
#: The colour of a record without a key, and of anything unowned.
NO_KEY_COLOR = "#BBBBBB"
#: Offsets before the log start offset: deleted by retention (or DeleteRecords).
DELETED_COLOR = "#EEEEEE"

#: Fixed palette indices for the course's names (members, groups, queue readers).
MEMBER_INDEX: dict[str, int] = {
    **{chr(ord("a") + i): i for i in range(26)},
    "first": 0,
    "second": 2,
    "third": 1,
    "groups-service": 4,
    "audit-service": 5,
    "replay": 6,
    "reporting-service": 0,
}

_TRAILING_NUMBER = re.compile(r"(\d+)$")
_MEMBER_ID = re.compile(
    r"^(?P<client>.+)-(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)


# -- colours ---------------------------------------------------------------------------------
def _stable_index(text: str) -> int:
    number = _TRAILING_NUMBER.search(text)
    if number:
        return int(number.group(1))
    return zlib.crc32(text.encode("utf-8"))


def _member_index(name: Any) -> int:
    text = str(name)
    if text in MEMBER_INDEX:
        return MEMBER_INDEX[text]
    match = _MEMBER_ID.match(text)
    if match and match.group("client") in MEMBER_INDEX:
        return MEMBER_INDEX[match.group("client")]
    return _stable_index(match.group("client") if match else text)


def member_color(name: Any) -> str:
    """The colour of a member, group or reader named ``name``, the same in every drawing.

    >>> member_color("a"), member_color("b"), member_color("a-5f0c7e6e-1c3a-4b1e-9d1f-0a1b2c3d4e5f")
    ('#E69F00', '#56B4E9', '#E69F00')
    """
    return MEMBER_PALETTE[_member_index(name) % len(MEMBER_PALETTE)]


def member_hatch(name: Any) -> str:
    """The hatch that keeps ``name`` apart from names that share its colour ('' for most)."""
    return HATCHES[(_member_index(name) // len(MEMBER_PALETTE)) % len(HATCHES)]


def key_text(key: Any) -> str | None:
    """A record key as text (UTF-8 bytes decoded, others as ``str``); None for no key."""
    if key is None or (isinstance(key, float) and key != key):
        return None
    if isinstance(key, bytes | bytearray | memoryview):
        raw = bytes(key)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.hex()
    return str(key)


def _key_index(key: Any) -> int | None:
    text = key_text(key)
    return None if text is None else _stable_index(text)


def key_color(key: Any) -> str:
    """The colour of record key ``key`` (bytes or text alike), the same in every drawing.

    >>> key_color(b"acct-1") == key_color("acct-1"), key_color(None)
    (True, '#BBBBBB')
    """
    index = _key_index(key)
    return NO_KEY_COLOR if index is None else KEY_PALETTE[index % len(KEY_PALETTE)]


def _text_color(color: str) -> str:
    """Black or white, whichever reads better on ``color``."""
    r, g, b = matplotlib.colors.to_rgb(color)
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


def _member_labels(ids: Iterable[Any]) -> dict[Any, str]:
    """Short display names for member ids: the client id when unique, else ``client-1b2c``."""
    ids = [i for i in dict.fromkeys(ids) if i is not None and i == i]
    short: dict[Any, str] = {}
    for i in ids:
        match = _MEMBER_ID.match(str(i))
        short[i] = match.group("client") if match else str(i)
    counts: dict[str, int] = {}
    for label in short.values():
        counts[label] = counts.get(label, 0) + 1
    for i in ids:
        match = _MEMBER_ID.match(str(i))
        if match and counts[short[i]] > 1:
            short[i] = f"{match.group('client')}-{match.group('uuid')[:4]}"
    return short


def _natural(text: Any) -> tuple:
    """Sort key that puts acct-2 before acct-10."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", str(text))
    )


# -- figures ---------------------------------------------------------------------------------
def _figure(ax: Axes | None, width: float, height: float) -> tuple[Figure, Axes]:
    """A new constrained-layout figure with one Axes, or the given Axes and its figure."""
    if ax is not None:
        return ax.figure, ax
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # Not pyplot's: a notebook shows the returned figure once, and nothing is kept alive.
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _legend_outside(ax: Axes, handles: Sequence[Any], title: str | None = None, **kw: Any) -> Any:
    """A legend right of the Axes (constrained layout makes room for it)."""
    return ax.legend(
        handles=list(handles),
        title=title,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0.0,
        fontsize="small",
        title_fontsize="small",
        frameon=False,
        **kw,
    )


# -- the tables, from either backend ---------------------------------------------------------
def log_tables(cluster: Any, topic: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(records, partitions)`` of ``topic`` for :func:`partition_logs`, from either backend.

    A ``SimCluster`` has them as ``records(topic)`` and ``partitions(topic)``. On a real
    broker (a ``RealCluster``) a consumer without a group reads every partition from its log
    start offset to its log end offset: ``records`` has ``partition, offset, timestamp, key,
    value``, ``partitions`` has ``partition, log_start_offset, log_end_offset, records``.
    Reading is bounded by the cluster's timeout.
    """
    import pandas as pd

    from .cluster import SimCluster
    from .records import TopicPartition

    if isinstance(cluster, SimCluster):
        return cluster.records(topic), cluster.partitions(topic)
    consumer = cluster.consumer(group_id=None, enable_auto_commit=False)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        consumer.assign(tps)
        starts = consumer.beginning_offsets(tps)
        ends = consumer.end_offsets(tps)
        consumer.seek_to_beginning(*tps)
        rows = []
        deadline = cluster.now_ms + cluster.timeout_ms
        while any(consumer.position(tp) < ends[tp] for tp in tps) and cluster.now_ms < deadline:
            for batch in consumer.poll(timeout_ms=200).values():
                rows.extend((r.partition, r.offset, r.timestamp, r.key, r.value) for r in batch)
    finally:
        consumer.close()
    records = pd.DataFrame(rows, columns=["partition", "offset", "timestamp", "key", "value"])
    records = records.sort_values(["partition", "offset"], ignore_index=True)
    counts = records.groupby("partition").size()
    partitions = pd.DataFrame(
        [
            (tp.partition, int(starts[tp]), int(ends[tp]), int(counts.get(tp.partition, 0)))
            for tp in tps
        ],
        columns=["partition", "log_start_offset", "log_end_offset", "records"],
    )
    return records, partitions


# -- 1. partition logs -----------------------------------------------------------------------
#: Above this many offsets in view, a log is drawn as an image, one column per offset.
MAX_CELLS = 80
#: Keys named in a legend at most; the rest are counted.
MAX_LEGEND_KEYS = 8


def _offset_table(frame: Any, column: str) -> dict[Any, dict[int, int]]:
    """{name: {partition: offset}} from a dict of dicts, or a group_state-shaped frame."""
    if frame is None:
        return {}
    if hasattr(frame, "columns"):
        name = frame.attrs.get("group", column.replace("_", " "))
        if "group" in frame.columns:
            pieces = {g: f for g, f in frame.groupby("group", sort=False)}
        else:
            pieces = {name: frame}
        out: dict[Any, dict[int, int]] = {}
        for group, piece in pieces.items():
            rows = piece[["partition", column]].dropna()
            out[group] = {int(p): int(o) for p, o in rows.itertuples(index=False)}
        return out
    out = {}
    for name, offsets in frame.items():
        if hasattr(offsets, "columns"):
            offsets = _offset_table(offsets, column).popitem()[1] if len(offsets) else {}
        out[name] = {int(p): int(o) for p, o in offsets.items() if o is not None and o == o}
    return out


def partition_logs(
    records: pd.DataFrame,
    partitions: pd.DataFrame | None = None,
    committed: pd.DataFrame | Mapping[Any, Mapping[int, int]] | None = None,
    positions: Mapping[Any, Mapping[int, int]] | None = None,
    *,
    topic: str | None = None,
    ax: Axes | None = None,
    max_cells: int = MAX_CELLS,
    legend: bool = True,
) -> Figure:
    """One strip per partition, one cell per offset coloured by its record's key.

    ``records``: ``partition, offset, key`` (``SimCluster.records(topic)``; a ``topic``
    column is filtered by ``topic``). ``partitions``: ``partition, log_start_offset,
    log_end_offset`` (``SimCluster.partitions(topic)``); without it each partition's log
    starts at its first record and ends after its last. Offsets before the log start offset
    are drawn as deleted. ``committed``: a group's committed offsets, a ``group_state``-shaped
    frame (``partition, committed``; its ``attrs["group"]`` or a ``group`` column names the
    group) or ``{group: {partition: offset}}``: a ▲ under the strip, in the group's colour.
    ``positions``: ``{member: {partition: offset}}``, each consumer's next offset to read: a
    ▼ over the strip in the member's colour. Both mark the boundary before that offset.

    Up to ``max_cells`` offsets in view, each record is a cell with an edge; beyond, the
    logs are one image with a column per offset (a hot key shows as a band of its colour).
    Either way the logs are a single artist, so a redraw stays fast at 64 partitions and
    10,000 records; what a redraw costs is mostly text (tick labels, the legend), and a
    constrained layout measures all of it again: for a dashboard that redraws often, draw
    once, then ``fig.set_layout_engine("none")``, and pass ``legend=False`` if another
    drawing explains the colours.
    """
    import numpy as np
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    frame = records
    if topic is not None and "topic" in frame.columns:
        frame = frame[frame["topic"] == topic]
    parts = partitions
    if parts is not None and topic is not None and "topic" in parts.columns:
        parts = parts[parts["topic"] == topic]
    part_ids = np.asarray(frame["partition"], dtype=np.int64)
    offsets = np.asarray(frame["offset"], dtype=np.int64)
    if parts is not None and len(parts):
        numbers = [int(p) for p in parts["partition"]]
        starts = dict(zip(numbers, (int(s) for s in parts["log_start_offset"]), strict=True))
        ends = dict(zip(numbers, (int(e) for e in parts["log_end_offset"]), strict=True))
    else:
        numbers = sorted({int(p) for p in part_ids})
        starts, ends = {}, {}
        for p in numbers:
            mine = offsets[part_ids == p]
            starts[p], ends[p] = int(mine.min()), int(mine.max()) + 1
    numbers = sorted(numbers)
    row_of = {p: i for i, p in enumerate(numbers)}
    n_rows = max(len(numbers), 1)
    groups = _offset_table(committed, "committed")
    consumers = _offset_table(positions, "position") if positions is not None else {}

    x_lo = 0
    x_hi = max([1, *ends.values(), *(int(o) + 1 for o in offsets[-1:])])
    for table in (*groups.values(), *consumers.values()):
        x_hi = max(x_hi, *table.values(), 1) if table else x_hi
    span = x_hi - x_lo

    codes, uniques = _factorize_keys(frame["key"])
    legend_rows = 3 + len(groups) + len(consumers) + min(len(uniques), MAX_LEGEND_KEYS + 1)
    height = min(max(1.3 + 0.3 * n_rows, 0.6 + 0.2 * legend_rows), 12.0)
    fig, ax = _figure(ax, width=10.0, height=height)
    palette = np.array([matplotlib.colors.to_rgba(key_color(k)) for k in uniques] or [(0, 0, 0, 1)])
    rows = np.array([row_of.get(int(p), -1) for p in part_ids], dtype=np.int64)
    keep = rows >= 0
    half = 0.36
    if span <= max_cells:
        x0 = offsets[keep].astype(float)
        y = rows[keep].astype(float)
        verts = np.stack(
            [
                np.stack([x0, y - half], axis=1),
                np.stack([x0 + 1, y - half], axis=1),
                np.stack([x0 + 1, y + half], axis=1),
                np.stack([x0, y + half], axis=1),
            ],
            axis=1,
        )
        cells = PolyCollection(
            verts, facecolors=palette[codes[keep]], edgecolors="white", linewidths=0.8
        )
        cells.set_gid("records")
        ax.add_collection(cells)
        hatches = [_key_hatch(k) for k in uniques]
        for hatch in sorted(set(hatches) - {""}):
            chosen = np.isin(codes[keep], [i for i, h in enumerate(hatches) if h == hatch])
            overlay = PolyCollection(
                verts[chosen], facecolors="none", edgecolors="white", linewidths=0, hatch=hatch
            )
            overlay.set_gid("key-hatches")
            ax.add_collection(overlay)
        deleted = [
            ((x_lo, r - half), (starts[p], r - half), (starts[p], r + half), (x_lo, r + half))
            for p, r in row_of.items()
            if starts[p] > x_lo
        ]
        if deleted:
            gone = PolyCollection(
                deleted, facecolors=DELETED_COLOR, edgecolors="#999999", hatch="////", lw=0.5
            )
            gone.set_gid("deleted")
            ax.add_collection(gone)
    else:
        image = np.ones((n_rows * 4, span, 4), dtype=np.float32)
        image[..., 3] = 0.0
        for p, r in row_of.items():  # deleted offsets: pale grey
            image[r * 4 : r * 4 + 3, : max(starts[p] - x_lo, 0)] = matplotlib.colors.to_rgba(
                DELETED_COLOR
            )
        cols = offsets[keep] - x_lo
        for band in range(3):  # three pixel rows of colour, one empty: rows stay apart
            image[rows[keep] * 4 + band, cols] = palette[codes[keep]]
        logs = ax.imshow(
            image,
            aspect="auto",
            interpolation="nearest",
            extent=(x_lo, x_hi, n_rows - 0.5 + 0.125, -0.5 + 0.125),
        )
        logs.set_gid("records")

    # log start and log end offsets: a bar at each boundary
    starts_seg = [((starts[p], r - 0.5), (starts[p], r + 0.5)) for p, r in row_of.items()]
    ends_seg = [((ends[p], r - 0.5), (ends[p], r + 0.5)) for p, r in row_of.items()]
    start_lines = LineCollection(starts_seg, colors="black", linewidths=2.2)
    start_lines.set_gid("log_start_offset")
    end_lines = LineCollection(ends_seg, colors="black", linewidths=1.4, linestyles=(0, (2, 1)))
    end_lines.set_gid("log_end_offset")
    ax.add_collection(start_lines)
    ax.add_collection(end_lines)

    marker_size = float(np.clip(220.0 / n_rows, 3.5, 9.0))
    handles: list[Any] = [
        Line2D([], [], color="black", lw=2.2, label="log start offset"),
        Line2D([], [], color="black", lw=1.4, ls=(0, (2, 1)), label="log end offset"),
    ]
    for group, table in groups.items():
        pts = [(o, row_of[p] + half) for p, o in table.items() if p in row_of]
        if not pts:
            continue
        xs, ys = zip(*pts, strict=True)
        (line,) = ax.plot(
            xs,
            ys,
            ls="none",
            marker="^",
            ms=marker_size,
            mfc=member_color(group),
            mec="black",
            mew=0.7,
            clip_on=False,
            label=f"committed offset ({group})",
        )
        line.set_gid("committed")
        handles.append(line)
    for member, table in consumers.items():
        pts = [(o, row_of[p] - half) for p, o in table.items() if p in row_of]
        if not pts:
            continue
        xs, ys = zip(*pts, strict=True)
        (line,) = ax.plot(
            xs,
            ys,
            ls="none",
            marker="v",
            ms=marker_size,
            mfc=member_color(member),
            mec="black",
            mew=0.7,
            clip_on=False,
            label=f"position ({member})",
        )
        line.set_gid("position")
        handles.append(line)
    if any(starts[p] > x_lo for p in row_of):
        handles.append(
            Patch(fc=DELETED_COLOR, ec="#999999", hatch="////", label="deleted (before log start)")
        )
    named = sorted((k for k in uniques), key=lambda k: _natural(key_text(k) or ""))
    for k in named[:MAX_LEGEND_KEYS]:
        text = key_text(k)
        handles.append(
            Patch(
                fc=key_color(k),
                hatch=_key_hatch(k) if span <= max_cells else "",
                ec="white",
                label="no key" if text is None else f"key {text}",
            )
        )
    if len(named) > MAX_LEGEND_KEYS:
        handles.append(
            Patch(fc="none", ec="none", label=f"+{len(named) - MAX_LEGEND_KEYS} more keys")
        )

    ax.set_xlim(x_lo, x_hi + max(span * 0.01, 0.3))
    ax.set_ylim(n_rows - 0.5, -0.5)  # partition 0 on top
    ax.set_yticks(range(len(numbers)), [str(p) for p in numbers])
    if n_rows > 24:
        ax.tick_params(axis="y", labelsize=max(4.5, 200 / n_rows))
    ax.set_ylabel("partition")
    ax.set_xlabel("offset")
    ax.xaxis.get_major_locator().set_params(integer=True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    name = topic or (
        str(frame["topic"].iloc[0]) if "topic" in frame.columns and len(frame) else None
    )
    total = int(keep.sum())
    title = f"{name}: " if name else ""
    ax.set_title(
        f"{title}{len(numbers)} partition{'s' if len(numbers) != 1 else ''}, "
        f"{total:,} record{'s' if total != 1 else ''}"
        + ("" if span <= max_cells else " (one column per offset)"),
        loc="left",
        fontsize="medium",
    )
    if legend:
        _legend_outside(ax, handles)
    return fig


def _factorize_keys(keys: Any) -> tuple[Any, list[Any]]:
    """Codes and distinct keys, keys compared as text (b'acct-1' is 'acct-1')."""
    import numpy as np
    import pandas as pd

    raw_codes, raw = pd.factorize(pd.Series(keys, dtype=object), use_na_sentinel=False)
    texts = [key_text(k) for k in raw]
    first: dict[Any, int] = {}
    merged = np.array([first.setdefault(t, len(first)) for t in texts] or [0], dtype=np.int64)
    return merged[np.asarray(raw_codes, dtype=np.int64)], list(first)


def _key_hatch(key: Any) -> str:
    index = _key_index(key)
    return "" if index is None else HATCHES[(index // len(KEY_PALETTE)) % len(HATCHES)]


# -- 2. group ownership ----------------------------------------------------------------------
def group_ownership(
    ownership: pd.DataFrame,
    members: Iterable[Any] | None = None,
    *,
    ax: Axes | None = None,
) -> Figure:
    """Which member owns which partition; a member that owns nothing is drawn, labelled idle.

    ``ownership``: ``partition, owner`` (``GroupMembers.ownership()``, or
    ``SimCluster.group_state(group)`` whose owners are member ids, shown as their client id).
    ``members``: every member of the group, so that idle ones appear; without it only owners
    appear. A partition without an owner is drawn in a row of its own, "no owner". One row
    per member, its partitions as labelled boxes in its colour.
    """
    from matplotlib.patches import FancyBboxPatch

    owners = list(ownership["owner"]) if len(ownership) else []
    ids = [
        *(list(members) if members is not None else []),
        *(o for o in owners if o is not None and o == o),
    ]
    labels = _member_labels(ids)
    order = list(dict.fromkeys(labels[i] for i in ids))
    if members is None:
        order.sort(key=_natural)
    owned: dict[str, list[int]] = {m: [] for m in order}
    unowned: list[int] = []
    for partition, owner in zip(ownership["partition"], owners, strict=True):
        if owner is None or owner != owner:
            unowned.append(int(partition))
        else:
            owned[labels[owner]].append(int(partition))
    rows = [(m, sorted(owned[m])) for m in order]
    if unowned:
        rows.append((None, sorted(unowned)))
    n_rows = max(len(rows), 1)
    widest = max([len(ps) for _, ps in rows] + [3])
    own_figure = ax is None
    fig, ax = _figure(ax, width=min(1.6 + 0.6 * widest, 14.0), height=1.0 + 0.42 * n_rows)
    for r, (member, parts) in enumerate(rows):
        color = NO_KEY_COLOR if member is None else member_color(member)
        hatch = "" if member is None else member_hatch(member)
        if not parts:
            box = FancyBboxPatch(
                (0.08, r - 0.32),
                1.84,
                0.64,
                boxstyle="round,pad=0,rounding_size=0.12",
                fc="none",
                ec=color,
                lw=1.5,
                ls="--",
            )
            box.set_gid("idle")
            ax.add_patch(box)
            ax.text(1.0, r, "idle", ha="center", va="center", style="italic", color="#444444")
            continue
        for i, p in enumerate(parts):
            box = FancyBboxPatch(
                (i + 0.08, r - 0.32),
                0.84,
                0.64,
                boxstyle="round,pad=0,rounding_size=0.12",
                fc=color,
                ec="black" if hatch else color,
                hatch=hatch,
                lw=0.6,
            )
            box.set_gid("partition")
            ax.add_patch(box)
            ax.text(i + 0.5, r, f"P{p}", ha="center", va="center", color=_text_color(color))
    ax.set_xlim(-0.05, widest + 0.05)
    ax.set_ylim(n_rows - 0.5, -0.5)
    ax.set_yticks(range(len(rows)), [m if m is not None else "no owner" for m, _ in rows])
    ax.set_xticks([])
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.set_ylabel("member")
    idle = sum(1 for _, ps in rows[: len(order)] if not ps)
    facts = []
    if "generation" in ownership.columns and len(ownership):
        facts.append(f"generation {int(ownership['generation'].max())}")
    facts.append(f"{len(order)} member{'s' if len(order) != 1 else ''}")
    if idle:
        facts.append(f"{idle} idle")
    title = "partitions owned by each member"
    if "topic" in ownership.columns and len(ownership):
        title = f"{ownership['topic'].iloc[0]}: {title}"
    title += "\n" + ", ".join(facts)
    longest = max(len(line) for line in title.splitlines())
    if own_figure:  # room for the title: constrained layout does not widen a figure
        fig.set_figwidth(max(fig.get_figwidth(), 0.6 + 0.075 * longest))
    ax.set_title(title, loc="left", fontsize="medium")
    return fig
