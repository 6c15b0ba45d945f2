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
    "key_distribution",
    "key_remapping",
    "key_text",
    "lag_over_time",
    "log_tables",
    "log_versus_queue",
    "member_color",
    "member_hatch",
    "panels",
    "partition_logs",
    "rebalance_timeline",
    "replica_logs",
    "failover_timeline",
    "retention",
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


def _check_columns(frame: Any, needed: tuple[str, ...], drawing: str, hint: str) -> None:
    """A clear error, naming the columns and where such a table comes from, for a wrong table."""
    have = list(getattr(frame, "columns", []))
    missing = [c for c in needed if c not in have]
    if missing:
        raise ValueError(
            f"{drawing}() needs a table with columns {', '.join(needed)}; this one lacks "
            f"{', '.join(missing)} ({hint})"
        )


# -- figures ---------------------------------------------------------------------------------
def _show_in_notebooks(figure_class: type) -> None:
    """In IPython, show a figure as a PNG whatever matplotlib backend is active.

    A figure made without pyplot is shown by IPython's PNG formatter for ``Figure``, which only
    the inline backend registers (``%matplotlib inline``); without it a cell would print
    ``<Figure size ...>``. Registered once per kernel; outside IPython nothing happens.
    """
    import sys

    if "IPython" not in sys.modules:
        return
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None or getattr(shell, "_simkafka_figures", False):
        return
    from IPython.core.pylabtools import print_figure

    png = shell.display_formatter.formatters["image/png"]
    png.for_type(figure_class, lambda fig: print_figure(fig, "png", bbox_inches="tight"))
    shell._simkafka_figures = True


def panels(rows: int = 1, cols: int = 1, *, width: float = 9.0, height: float = 4.0):
    """``(figure, axes)``: a figure of ``rows`` x ``cols`` panels for drawings side by side.

    Pass each Axes as ``ax=`` to a drawing. The figure shows itself in a notebook like every
    drawing here (no pyplot, nothing kept alive).

    >>> fig, axes = panels(2, 1)
    >>> len(axes)
    2
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    _show_in_notebooks(Figure)
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False)
    return fig, list(axes.flat)


def _figure(ax: Axes | None, width: float, height: float) -> tuple[Figure, Axes]:
    """A new constrained-layout figure with one Axes, or the given Axes and its figure."""
    if ax is not None:
        return ax.figure, ax
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # Not pyplot's: a notebook shows the returned figure once, and nothing is kept alive.
    _show_in_notebooks(Figure)
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    fig._simkafka_sized = True  # ours to widen (see _fit_width), not a caller's figure
    return fig, fig.add_subplot()


def _fit_width(fig: Figure, ax: Axes) -> None:
    """Widen a figure this module made until its left-aligned title and legend fit.

    Constrained layout shrinks the Axes for a legend but never widens the figure, and a
    title longer than its Axes runs off the edge; text widths are estimated from lengths
    (about 0.075 in a character at the default size), which is cheap and close enough.
    """
    if not getattr(fig, "_simkafka_sized", False):
        return
    title = ax.get_title(loc="left")
    axes_needed = 0.075 * max((len(line) for line in title.splitlines()), default=0) + 0.2
    legend = ax.get_legend()
    legend_width = 0.0
    if legend is not None:
        labels = [t.get_text() for t in legend.get_texts()]
        if legend.get_title().get_text():
            labels.append(legend.get_title().get_text())
        legend_width = 0.065 * max((len(t) for t in labels), default=0) + 0.8
    fig.set_figwidth(max(fig.get_figwidth(), 1.0 + axes_needed + legend_width))


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

    Both ``SimCluster`` and ``RealCluster`` have ``records(topic)`` and ``partitions(topic)``
    with the same columns (a real broker's log is read from its log start to its log end
    offset, bounded by the cluster's timeout).
    """
    return cluster.records(topic), cluster.partitions(topic)


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
    _check_columns(
        records,
        ("partition", "offset", "key"),
        "partition_logs",
        "cluster.records(topic) gives one",
    )
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
    # Committed offsets above each strip (▲), consumers' positions below it (▼).
    for tables, shift, marker, gid, what in (
        (groups, half, "^", "committed", "committed offset"),
        (consumers, -half, "v", "position", "position"),
    ):
        for owner, table in tables.items():
            pts = [(o, row_of[p] + shift) for p, o in table.items() if p in row_of]
            if not pts:
                continue
            xs, ys = zip(*pts, strict=True)
            (line,) = ax.plot(
                xs,
                ys,
                ls="none",
                marker=marker,
                ms=marker_size,
                mfc=member_color(owner),
                mec="black",
                mew=0.7,
                clip_on=False,
                label=f"{what} ({owner})",
            )
            line.set_gid(gid)
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
    _check_columns(
        ownership,
        ("partition", "owner"),
        "group_ownership",
        "cluster.group_state(group) or GroupMembers.ownership() give one",
    )
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
    ax.set_title(title, loc="left", fontsize="medium")
    _fit_width(fig, ax)
    return fig


# -- 3. rebalance timeline -------------------------------------------------------------------
_EVENT_KINDS = {
    "assign": "assigned",
    "assigned": "assigned",
    "revoke": "revoked",
    "revoked": "revoked",
    "lost": "lost",
}
#: How a partition without an owner is drawn: after a revoke (rebalance), after a loss.
_GAP_STYLE = {
    "revoked": {"fc": "#F2F2F2", "ec": "#777777", "hatch": "////"},
    "lost": {"fc": "#FBE3D6", "ec": "#D55E00", "hatch": "xxxx"},
}


def _listener_steps(
    events: pd.DataFrame, group: str | None, topic: str | None
) -> list[tuple[int, str, str, tuple[int, ...]]]:
    """``(time_ms, member, kind, partitions)`` per listener call, in order, non-empty only.

    Takes ``GroupMembers.events()`` (a tuple of partitions per row) or ``SimCluster.events()``
    (one partition per row; consecutive rows of one member's call are merged).
    """
    frame = events[events["event"].isin(list(_EVENT_KINDS))]
    if group is not None and "group" in frame.columns:
        frame = frame[frame["group"] == group]
    if topic is not None and "topic" in frame.columns:
        frame = frame[frame["topic"] == topic]
    frame = frame.sort_values("time_ms", kind="stable")
    labels = _member_labels(frame["member"])
    steps: list[tuple[int, str, str, tuple[int, ...]]] = []
    if "partitions" in frame.columns:
        for t, member, kind, parts in frame[
            ["time_ms", "member", "event", "partitions"]
        ].itertuples(index=False):
            if len(parts):
                steps.append((int(t), labels[member], _EVENT_KINDS[kind], tuple(parts)))
        return steps
    frame = frame.dropna(subset=["partition"])
    generation = frame["generation"] if "generation" in frame.columns else [None] * len(frame)
    previous = None
    for t, member, kind, part, gen in zip(
        frame["time_ms"],
        frame["member"],
        frame["event"],
        frame["partition"],
        generation,
        strict=True,
    ):
        call = (int(t), labels[member], _EVENT_KINDS[kind], gen)
        if call == previous:
            steps[-1] = (*steps[-1][:3], (*steps[-1][3], int(part)))
        else:
            steps.append((call[0], call[1], call[2], (int(part),)))
        previous = call
    return steps


def rebalance_timeline(
    events: pd.DataFrame,
    partitions: int | Iterable[int] | None = None,
    *,
    group: str | None = None,
    topic: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Who owned which partition, listener call by listener call; gaps where nobody did.

    ``events``: ``GroupMembers.events()`` (``time_ms, member, event, partitions``; ``event``
    assigned / revoked / lost) on either backend, or ``SimCluster.events()`` (its assign /
    revoke / lost rows, one partition each, filtered by ``group`` and ``topic`` if given).
    ``partitions``: how many (or which) partitions to draw; default those in the events.

    The x axis is the sequence of rebalance listener calls (``on_partitions_revoked``,
    ``..._assigned``, ``..._lost``), each one step, labelled by member; the time since the
    first call is written where it jumps (on the simulator a rebalance takes no simulated
    time, but a crashed member's session does). A bar is a member owning the partition, in
    the member's colour; a hatched grey gap is a revoked partition nobody owns yet, an orange
    one a lost partition. An eager rebalance revokes every partition, so every row has a gap;
    a cooperative one revokes only the partitions that move.
    """
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Patch

    steps = _listener_steps(events, group, topic)
    seen = sorted({p for *_, parts in steps for p in parts})
    if partitions is None:
        rows = seen
    elif isinstance(partitions, int):
        rows = list(range(partitions))
    else:
        rows = sorted(int(p) for p in partitions)
    row_of = {p: i for i, p in enumerate(rows)}
    owner: dict[int, tuple[str, int]] = {}
    gap: dict[int, tuple[str, int]] = {}
    bars: list[tuple[int, float, float, str]] = []
    gaps: list[tuple[int, float, float, str]] = []
    for i, (_, member, kind, parts) in enumerate(steps):
        for p in parts:
            if p not in row_of:
                continue
            if p in owner:
                who, start = owner.pop(p)
                bars.append((p, start, i, who))
            if p in gap:
                why, start = gap.pop(p)
                gaps.append((p, start, i, why))
            if kind == "assigned":
                owner[p] = (member, i)
            else:
                gap[p] = (kind, i)
    end = len(steps)
    bars += [(p, start, end, who) for p, (who, start) in owner.items()]
    gaps += [(p, start, end, why) for p, (why, start) in gap.items()]

    n_rows = max(len(rows), 1)
    fig, ax = _figure(ax, width=min(3.0 + 0.42 * max(end, 6), 16.0), height=2.2 + 0.32 * n_rows)
    half = 0.36

    def box(p: int, x0: float, x1: float) -> list[tuple[float, float]]:
        y = row_of[p]
        return [(x0, y - half), (x1, y - half), (x1, y + half), (x0, y + half)]

    owned = PolyCollection(
        [box(p, a, b) for p, a, b, _ in bars],
        facecolors=[member_color(w) for *_, w in bars],
        edgecolors="white",
        linewidths=1.0,
    )
    owned.set_gid("owned")
    ax.add_collection(owned)
    for p, a, b, who in bars:
        if b - a >= 1:
            color = member_color(who)
            ax.text(
                (a + b) / 2,
                row_of[p],
                who,
                ha="center",
                va="center",
                fontsize="small",
                color=_text_color(color),
                clip_on=True,
            )
    for why, style in _GAP_STYLE.items():
        mine = [(p, a, b) for p, a, b, w in gaps if w == why]
        if mine:
            holes = PolyCollection([box(p, a, b) for p, a, b in mine], lw=0.8, **style)
            holes.set_gid(why)
            ax.add_collection(holes)

    labels = [f"{member} {kind}" for _, member, kind, _ in steps]
    ax.set_xticks(
        [i + 0.5 for i in range(end)],
        labels,
        rotation=55,
        ha="right",
        rotation_mode="anchor",
        fontsize="small",
    )
    ax.set_xlim(0, max(end, 1))
    ax.set_ylim(n_rows - 0.5, -0.5)
    ax.set_yticks(range(len(rows)), [str(p) for p in rows])
    ax.set_ylabel("partition")
    ax.set_xlabel("rebalance listener calls, in order")
    ax.tick_params(axis="both", length=0)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    jumps = 0
    if steps:
        t0 = steps[0][0]
        last = t0
        for i, (t, *_rest) in enumerate(steps):
            if t - last >= 500:
                ax.axvline(i, color="#555555", lw=0.8, ls=":")
                ax.annotate(
                    f"+{(t - t0) / 1000:.1f} s",
                    (i, -0.5),
                    xytext=(2, 2),
                    textcoords="offset points",
                    fontsize="x-small",
                    color="#333333",
                    annotation_clip=False,
                )
                jumps += 1
            last = t
    members = sorted({w for *_, w in bars}, key=_natural)
    handles: list[Any] = [
        Patch(fc=member_color(m), hatch=member_hatch(m), label=m) for m in members
    ]
    handles += [
        Patch(label="revoked, no owner yet" if why == "revoked" else "lost, no owner yet", **style)
        for why, style in _GAP_STYLE.items()
        if any(w == why for *_, w in gaps)
    ]
    _legend_outside(ax, handles, title="member")
    revoked = sum(len(parts) for _, _, kind, parts in steps if kind != "assigned")
    orphaned = len({p for p, *_ in gaps})
    title = "who owns each partition, rebalance by rebalance"
    facts = f"{revoked} partition revocation{'s' if revoked != 1 else ''}"
    facts += f"; {orphaned} of {len(rows)} partitions were without an owner at some point"
    ax.set_title(f"{title}\n{facts}", loc="left", fontsize="medium", pad=24 if jumps else 6)
    _fit_width(fig, ax)
    return fig


def _end_labels(ax: Axes, ends: list[tuple[float, float, int]]) -> None:
    """'partition N' right of the Axes at each line's end, spread so that none overlap."""
    low, high = ax.get_ylim()
    gap = 0.055
    placed: list[float] = []
    for y, _, _ in sorted(ends):
        frac = (y - low) / (high - low) if high > low else 0.0
        placed.append(max(frac, placed[-1] + gap) if placed else frac)
    overflow = placed[-1] - 1.0 if placed else 0.0
    if overflow > 0:  # pushed past the top: shift all down, keeping the gaps
        placed = [max(f - overflow, i * gap) for i, f in enumerate(placed)]
    for (y, x, p), frac in zip(sorted(ends), placed, strict=True):
        ax.annotate(
            f"partition {p}",
            (x, y),
            xytext=(1.01, frac),
            textcoords="axes fraction",
            va="center",
            fontsize="x-small",
            arrowprops={"arrowstyle": "-", "color": "#999999", "lw": 0.6},
            annotation_clip=False,
        )


# -- 4. lag ----------------------------------------------------------------------------------
def lag_over_time(lag: pd.DataFrame, *, by: str = "partition", ax: Axes | None = None) -> Figure:
    """Consumer lag (log end offset minus committed offset) over time.

    ``lag``: ``time_ms, partition, member, lag``, one row per partition per sample (the
    ``group_state`` of a group sampled as time goes on; ``member`` is the partition's owner
    then, a name or a member id). ``by="partition"``: a line per partition, each stretch in
    the colour of the member that owned it, labelled at its end; ``by="member"``: a line per
    member, the sum of the lag of the partitions it owned, in the member's colour. Time is
    in seconds since the first sample.
    """
    _check_columns(
        lag,
        ("time_ms", "partition", "member", "lag"),
        "lag_over_time",
        "simkafka.lag.lag_over_time gives one",
    )
    import numpy as np
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    if by not in ("partition", "member"):
        raise ValueError(f"by must be 'partition' or 'member', got {by!r}")
    frame = lag.dropna(subset=["lag"]).copy()
    labels = _member_labels(frame["member"])
    frame["who"] = [labels.get(m, "no owner") for m in frame["member"]]
    t0 = float(frame["time_ms"].min()) if len(frame) else 0.0
    frame["t"] = (frame["time_ms"].astype(float) - t0) / 1000.0
    frame["lag"] = frame["lag"].astype(float)
    fig, ax = _figure(ax, width=9.0, height=4.2)
    members = sorted(set(frame["who"]), key=_natural)
    if by == "partition":
        numbers = sorted(int(p) for p in frame["partition"].unique())
        ends: list[tuple[float, float, int]] = []
        for p in numbers:
            mine = frame[frame["partition"] == p].sort_values("t")
            xs, ys = mine["t"].to_numpy(), mine["lag"].to_numpy()
            if len(xs) == 0:
                continue
            segments = np.stack([np.stack([xs[:-1], ys[:-1]], 1), np.stack([xs[1:], ys[1:]], 1)], 1)
            colors = [
                NO_KEY_COLOR if w == "no owner" else member_color(w) for w in mine["who"].iloc[1:]
            ]
            line = LineCollection(segments, colors=colors, linewidths=2.0)
            line.set_gid(f"partition {p}")
            ax.add_collection(line)
            ends.append((float(ys[-1]), float(xs[-1]), p))
        handles = [
            Line2D(
                [], [], color=member_color(m) if m != "no owner" else NO_KEY_COLOR, lw=2, label=m
            )
            for m in members
        ]
        legend_title = "owned by member"
        title = "consumer lag per partition"
    else:
        summed = frame.groupby(["who", "t"], sort=True)["lag"].sum().reset_index()
        handles = []
        for m in members:
            mine = summed[summed["who"] == m]
            (line,) = ax.plot(
                mine["t"],
                mine["lag"],
                lw=2.0,
                marker="o",
                ms=3,
                color=member_color(m) if m != "no owner" else NO_KEY_COLOR,
                label=m,
            )
            line.set_gid(f"member {m}")
            handles.append(line)
        legend_title = "member"
        title = "consumer lag per member (sum over its partitions)"
    ax.autoscale_view()
    top = ax.get_ylim()[1]
    ax.set_ylim(-0.02 * top, top)
    ax.yaxis.get_major_locator().set_params(integer=True)
    if by == "partition" and len(ends) <= 16:
        _end_labels(ax, ends)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("lag (records)")
    ax.set_title(title, loc="left", fontsize="medium")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    legend = _legend_outside(ax, handles, title=legend_title)
    if by == "partition":  # the legend goes right of the end labels
        legend.set_bbox_to_anchor((1.16, 1.0))
    _fit_width(fig, ax)
    return fig


# -- 5. keys and partitions ------------------------------------------------------------------
#: Above this many keys, a partition's bar is one block instead of one block per key.
MAX_KEY_BLOCKS = 400


def key_distribution(routing: pd.DataFrame, *, ax: Axes | None = None) -> Figure:
    """Records per partition, each key a block in its colour: a hot key is a tall block.

    ``routing``: ``key, partition`` (``experiments.keyed_routing``: one row per account id,
    ``key`` the bytes hashed). A row is one record; a ``records`` (or ``count``) column says
    how many records a row stands for, so a hot key can be one row. The dashed line is an
    even share (records / partitions); the title counts keys and the busiest partition's
    multiple of the even share.
    """
    _check_columns(
        routing, ("key", "partition"), "key_distribution", "experiments.keyed_routing gives one"
    )
    from matplotlib.collections import PolyCollection

    weight = next((c for c in ("records", "count") if c in routing.columns), None)
    frame = routing.assign(
        _key=[key_text(k) for k in routing["key"]],
        _n=routing[weight].astype(float) if weight else 1.0,
    )
    per_key = frame.groupby(["partition", "_key"], sort=False, dropna=False)["_n"].sum()
    per_partition = frame.groupby("partition")["_n"].sum()
    keys_per_partition = frame.groupby("partition")["_key"].nunique()
    numbers = sorted(int(p) for p in per_partition.index)
    if "partitions" in routing.attrs:
        numbers = list(range(int(routing.attrs["partitions"])))
    fig, ax = _figure(ax, width=min(3.0 + 0.5 * max(len(numbers), 4), 14.0), height=4.2)
    col = {p: i for i, p in enumerate(numbers)}
    n_keys = frame["_key"].nunique(dropna=False)
    if n_keys <= MAX_KEY_BLOCKS:
        verts, colors = [], []
        for p in numbers:
            bottom = 0.0
            if p not in per_key.index.get_level_values(0):
                continue
            blocks = per_key.loc[p].sort_index(key=lambda ix: [_natural(k or "") for k in ix])
            for key, n in blocks.items():
                x = col[p]
                verts.append(
                    [
                        (x - 0.4, bottom),
                        (x + 0.4, bottom),
                        (x + 0.4, bottom + n),
                        (x - 0.4, bottom + n),
                    ]
                )
                colors.append(key_color(key))
                if n >= 0.15 * float(per_partition.max()) and n > 1:  # a hot key: name it
                    ax.text(
                        x,
                        bottom + n / 2,
                        "no key" if key is None else key,
                        ha="center",
                        va="center",
                        fontsize="small",
                        color=_text_color(key_color(key)),
                    )
                bottom += n
        bars = PolyCollection(verts, facecolors=colors, edgecolors="white", linewidths=0.5)
    else:
        verts = [
            [(col[p] - 0.4, 0), (col[p] + 0.4, 0), (col[p] + 0.4, n), (col[p] - 0.4, n)]
            for p, n in per_partition.items()
        ]
        bars = PolyCollection(verts, facecolors="#4477AA", edgecolors="white")
    bars.set_gid("keys")
    ax.add_collection(bars)
    total = float(per_partition.sum())
    even = total / max(len(numbers), 1)
    ax.axhline(even, color="black", lw=1.0, ls="--", label="even share")
    for p in numbers:
        n = float(per_partition.get(p, 0))
        k = int(keys_per_partition.get(p, 0))
        ax.annotate(
            f"{k} key{'s' if k != 1 else ''}",
            (col[p], n),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize="x-small",
        )
    ax.set_xlim(-0.6, len(numbers) - 0.4)
    ax.set_ylim(0, max(float(per_partition.max()) if len(per_partition) else 1, even) * 1.3)
    ax.set_xticks(range(len(numbers)), [str(p) for p in numbers])
    ax.set_xlabel("partition")
    ax.set_ylabel("records")
    ax.yaxis.get_major_locator().set_params(integer=True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    busiest = float(per_partition.max()) / even if even else 0.0
    ax.set_title(
        f"records per partition: {n_keys} key{'s' if n_keys != 1 else ''} over "
        f"{len(numbers)} partitions\nbusiest partition: {busiest:.1f}× the even share",
        loc="left",
        fontsize="medium",
    )
    ax.legend(loc="upper right", fontsize="small", frameon=False, borderaxespad=0.2)
    _fit_width(fig, ax)
    return fig


def key_remapping(before: pd.DataFrame, after: pd.DataFrame, *, ax: Axes | None = None) -> Figure:
    """What a new partition count does to the keys: old partition → new partition, per key.

    ``before`` and ``after``: ``keyed_routing`` frames (``key, partition``) for the same keys
    with different partition counts. A cell counts the keys that were in the row's partition
    and are now in the column's; outlined cells are keys that stayed in their partition
    number. The title gives the share of keys that moved: their records before the change
    are in another partition than their records after it, so per-key order is broken.
    """
    _check_columns(
        before, ("key", "partition"), "key_remapping", "experiments.keyed_routing gives one"
    )
    _check_columns(
        after, ("key", "partition"), "key_remapping", "experiments.keyed_routing gives one"
    )
    import numpy as np
    from matplotlib.patches import Rectangle

    old = dict(zip((key_text(k) for k in before["key"]), before["partition"], strict=True))
    new = dict(zip((key_text(k) for k in after["key"]), after["partition"], strict=True))
    keys = [k for k in old if k in new]
    n_old = int(before.attrs.get("partitions", max(old.values(), default=-1) + 1))
    n_new = int(after.attrs.get("partitions", max(new.values(), default=-1) + 1))
    counts = np.zeros((n_old, n_new), dtype=int)
    for k in keys:
        counts[int(old[k]), int(new[k])] += 1
    moved = sum(1 for k in keys if old[k] != new[k])
    share = moved / len(keys) if keys else 0.0
    fig, ax = _figure(ax, width=min(2.6 + 0.55 * n_new, 12.0), height=min(2.0 + 0.5 * n_old, 10.0))
    image = ax.imshow(
        counts, cmap="cividis", aspect="equal", vmin=0, vmax=max(int(counts.max()), 1)
    )
    image.set_gid("keys moved")
    for i in range(n_old):
        for j in range(n_new):
            if i == j:
                stay = Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="#D55E00", lw=2.0)
                stay.set_gid("stayed")
                ax.add_patch(stay)
            if n_old * n_new <= 400:
                rgb = image.cmap(image.norm(counts[i, j]))
                ax.text(
                    j,
                    i,
                    str(counts[i, j]),
                    ha="center",
                    va="center",
                    fontsize="small",
                    color=_text_color(matplotlib.colors.to_hex(rgb)),
                )
    ax.set_xticks(range(n_new))
    ax.set_yticks(range(n_old))
    ax.set_xlabel(f"partition with {n_new} partitions")
    ax.set_ylabel(f"partition with {n_old} partitions")
    ax.tick_params(length=0)
    ax.set_title(
        f"{n_old} → {n_new} partitions: {moved} of {len(keys)} keys "
        f"({share:.0%}) moved\nto another partition (outlined: stayed)",
        loc="left",
        fontsize="medium",
    )
    _fit_width(fig, ax)
    return fig


# -- 6. retention ----------------------------------------------------------------------------
def retention(frame: pd.DataFrame, *, ax: Axes | None = None) -> Figure:
    """The log start offset moving up as retention deletes whole segments.

    ``frame``: ``experiments.retention_on_segments`` (``elapsed_ms, log_start_offset,
    log_end_offset, segments, records_retained``): the log start and log end offsets over
    time, the retained records between them, and a marker at each segment deletion (the
    log start offset jumps by a whole segment, at a retention check). Or
    ``experiments.retention_and_replay`` (``phase, group, first_offset, last_offset,
    records_seen``): each phase's group and the offsets it read, after ``delete_records``
    the reader starts at the new log start offset.
    """
    if "elapsed_ms" in frame.columns:
        return _retention_over_time(frame, ax)
    if "phase" in frame.columns:
        return _replay_phases(frame, ax)
    raise ValueError(
        "retention() takes a retention_on_segments frame (elapsed_ms, log_start_offset, "
        "log_end_offset, ...) or a retention_and_replay frame (phase, group, first_offset, ...)"
    )


def _retention_over_time(frame: pd.DataFrame, ax: Axes | None) -> Figure:
    fig, ax = _figure(ax, width=9.0, height=4.4)
    t = frame["elapsed_ms"].astype(float) / 1000.0
    start = frame["log_start_offset"].astype(float)
    end = frame["log_end_offset"].astype(float)
    ax.fill_between(
        t, start, end, step="post", color="#88CCEE", alpha=0.45, lw=0, label="retained records"
    )
    (start_line,) = ax.step(t, start, where="post", color="black", lw=2.0, label="log start offset")
    (end_line,) = ax.step(
        t, end, where="post", color="black", lw=1.4, ls=(0, (2, 1)), label="log end offset"
    )
    start_line.set_gid("log_start_offset")
    end_line.set_gid("log_end_offset")
    before = start.shift(fill_value=start.iloc[0] if len(start) else 0)
    jumps = frame[start != before]
    (deleted,) = ax.plot(
        jumps["elapsed_ms"] / 1000.0,
        jumps["log_start_offset"],
        ls="none",
        marker="o",
        ms=7,
        mfc="#D55E00",
        mec="black",
        label="segment deleted (retention check)",
    )
    deleted.set_gid("segment_deleted")
    for (_, row), old in zip(jumps.iterrows(), before[jumps.index], strict=True):
        ax.annotate(
            f"offsets {int(old)}–{int(row['log_start_offset']) - 1} deleted",
            (row["elapsed_ms"] / 1000.0, row["log_start_offset"]),
            xytext=(6, -12),
            textcoords="offset points",
            fontsize="x-small",
            color="#8A3B00",
        )
    ax.set_xlabel("time since the first record (s)")
    ax.set_ylabel("offset")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_ylim(bottom=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    summary = frame.attrs.get("summary", {})
    facts = f"{len(jumps)} segment deletion{'s' if len(jumps) != 1 else ''}"
    if summary.get("segment_bases"):
        facts += f"; segments start at offsets {', '.join(map(str, summary['segment_bases']))}"
    ax.set_title(
        f"time-based retention deletes whole segments\n{facts}", loc="left", fontsize="medium"
    )
    _legend_outside(ax, ax.get_legend_handles_labels()[0])
    _fit_width(fig, ax)
    return fig


def _replay_phases(frame: pd.DataFrame, ax: Axes | None) -> Figure:
    from matplotlib.collections import PolyCollection
    from matplotlib.lines import Line2D

    fig, ax = _figure(ax, width=9.0, height=1.8 + 0.55 * len(frame))
    verts, colors = [], []
    end = int(frame["last_offset"].max()) + 1 if len(frame) else 1
    for i, row in enumerate(frame.itertuples(index=False)):
        if row.records_seen > 0:
            a, b = row.first_offset, row.last_offset + 1
            verts.append([(a, i - 0.3), (b, i - 0.3), (b, i + 0.3), (a, i + 0.3)])
            colors.append(member_color(row.group))
            ax.text(
                (a + b) / 2,
                i,
                f"{row.group} reads {a}–{b - 1} ({row.records_seen})",
                ha="center",
                va="center",
                fontsize="small",
                color=_text_color(member_color(row.group)),
            )
        if row.first_offset > 0:
            gone = [
                (0, i - 0.3),
                (row.first_offset, i - 0.3),
                (row.first_offset, i + 0.3),
                (0, i + 0.3),
            ]
            deleted = PolyCollection(
                [gone], facecolors=DELETED_COLOR, edgecolors="#999999", hatch="////", lw=0.5
            )
            deleted.set_gid("deleted")
            ax.add_collection(deleted)
    read = PolyCollection(verts, facecolors=colors, edgecolors="white")
    read.set_gid("read")
    ax.add_collection(read)
    ax.set_xlim(0, end)
    ax.set_ylim(len(frame) - 0.5, -0.5)
    ax.set_yticks(range(len(frame)), list(frame["phase"]))
    ax.set_xlabel("offset")
    ax.set_ylabel("phase")
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    summary = frame.attrs.get("summary", {})
    title = "a log keeps history: replay, reset, and what deletion takes away"
    if "log_start_offset_after" in summary:
        title += f"\nlog start offset after delete_records: {summary['log_start_offset_after']}"
    ax.set_title(title, loc="left", fontsize="medium")
    handles = [
        Line2D([], [], lw=8, color=member_color(g), label=g) for g in dict.fromkeys(frame["group"])
    ]
    if (frame["first_offset"] > 0).any():
        from matplotlib.patches import Patch

        handles.append(
            Patch(fc=DELETED_COLOR, ec="#999999", hatch="////", label="deleted (before log start)")
        )
    _legend_outside(ax, handles, title="group")
    _fit_width(fig, ax)
    return fig


# -- 7. a log versus a queue -----------------------------------------------------------------
_SYSTEM_TITLES = {
    "kafka": "Kafka: a log, one group per reader",
    "kafka-share-group": "Kafka share group (KIP-932): members share one partition",
    "rabbitmq-fanout": "RabbitMQ fanout: a queue per reader",
    "rabbitmq-competing": "RabbitMQ: competing consumers, one queue",
}


def log_versus_queue(frame: pd.DataFrame, *, ax: Axes | None = None) -> Figure:
    """Which reader got which message, in which order: a Kafka log beside RabbitMQ queues.

    ``frame``: ``experiments.log_versus_queue`` (``system, reader, seq, event,
    redelivered``). One panel per system, one row per reader, one cell per delivery in the
    order received; a cell shows the message's publish number and has its key's (account's)
    colour. A redelivered message has a thick outline and ↻. A reader that got nothing says
    so. With ``ax``, the systems share that one Axes, side by side.
    """
    _check_columns(
        frame,
        ("system", "reader", "seq", "event", "redelivered"),
        "log_versus_queue",
        "experiments.log_versus_queue gives one",
    )
    from matplotlib.collections import PolyCollection

    systems = list(dict.fromkeys(frame["system"]))
    readers = {s: list(dict.fromkeys(frame.loc[frame["system"] == s, "reader"])) for s in systems}
    summary = frame.attrs.get("summary", {})
    for s, facts in summary.items():  # a reader that received nothing is in the summary only
        for reader in facts.get("copies_per_reader", {}):
            if s in readers and reader not in readers[s]:
                readers[s].append(reader)
    published = list(dict.fromkeys(frame.sort_values(["system", "reader", "seq"])["event"]))
    kafka = frame[frame["system"] == "kafka"]
    if len(kafka):  # a Kafka reader of the one-partition log sees the publish order
        first_reader = kafka["reader"].iloc[0]
        published = list(kafka[kafka["reader"] == first_reader].sort_values("seq")["event"])
    number = {e: i for i, e in enumerate(published)}
    widest = max([int(frame["seq"].max()) + 1 if len(frame) else 1, 1])
    if ax is None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        tallest = max([len(r) for r in readers.values()] + [1])
        height = 0.8 + len(systems) * (0.75 + 0.36 * tallest)
        width = min(max(8.0, 3.0 + 0.4 * widest), 16.0)
        _show_in_notebooks(Figure)
        fig = Figure(figsize=(width, height), layout="constrained")
        FigureCanvasAgg(fig)
        axes = list(fig.subplots(len(systems), 1, squeeze=False, sharex=True)[:, 0])
    else:
        fig, axes = ax.figure, [ax] * len(systems)
    offset = 0
    for s, axis in zip(systems, axes, strict=True):
        rows = readers[s]
        mine = frame[frame["system"] == s]
        verts, faces, edges, widths = [], [], [], []
        for r, reader in enumerate(rows):
            y = offset + r
            got = mine[mine["reader"] == reader].sort_values("seq")
            if got.empty:
                axis.text(
                    0,
                    y,
                    "nothing: bound after the events were published"
                    if "fanout" in s
                    else "nothing",
                    va="center",
                    fontsize="small",
                    style="italic",
                    color="#444444",
                )
            for seq, event, again in got[["seq", "event", "redelivered"]].itertuples(index=False):
                key = str(event).split(":")[0]
                color = key_color(key)
                verts.append(
                    [
                        (seq, y - 0.36),
                        (seq + 0.92, y - 0.36),
                        (seq + 0.92, y + 0.36),
                        (seq, y + 0.36),
                    ]
                )
                faces.append(color)
                edges.append("black" if again else "white")
                widths.append(2.5 if again else 0.5)
                label = f"#{number.get(event, '?')}" + (" ↻" if again else "")
                axis.text(
                    seq + 0.46,
                    y,
                    label,
                    ha="center",
                    va="center",
                    fontsize="x-small",
                    color=_text_color(color),
                )
        cells = PolyCollection(verts, facecolors=faces, edgecolors=edges, linewidths=widths)
        cells.set_gid(f"deliveries {s}")
        axis.add_collection(cells)
        if ax is None:
            axis.set_ylim(len(rows) - 0.5, -0.5)
            axis.set_yticks(range(len(rows)), rows)
            facts = summary.get(s, {})
            detail = []
            if "left_after_reading" in facts:
                detail.append(f"{facts['left_after_reading']} left after reading")
            if "replay_possible" in facts:
                detail.append("replay possible" if facts["replay_possible"] else "no replay")
            if "order_kept" in facts:
                detail.append("order kept" if facts["order_kept"] else "order changed")
            axis.set_title(
                f"{_SYSTEM_TITLES.get(s, s)}\n{', '.join(detail)}", loc="left", fontsize="medium"
            )
            axis.set_ylabel("reader")
        else:
            offset += len(rows) + 1
        axis.tick_params(axis="y", length=0)
        for side in ("top", "right", "left"):
            axis.spines[side].set_visible(False)
        axis.set_xlim(-0.1, widest + 0.1)
    if ax is not None:
        labels = [f"{s}: {r}" for s in systems for r in readers[s] + [""]][:-1]
        ax.set_ylim(len(labels) - 0.5, -0.5)
        ax.set_yticks(range(len(labels)), labels)
    from matplotlib.patches import Patch

    accounts = sorted({str(e).split(":")[0] for e in frame["event"]}, key=_natural)
    handles = [Patch(fc=key_color(a), label=a) for a in accounts[:MAX_LEGEND_KEYS]]
    handles.append(Patch(fc="white", ec="black", lw=2.5, label="redelivered ↻"))
    _legend_outside(axes[0], handles, title="key (account)")
    axes[-1].set_xlabel("delivery order (#n: the n-th event published; ↻ redelivered)")
    axes[-1].xaxis.get_major_locator().set_params(integer=True)
    return fig


# -- replication (notebook 10) ---------------------------------------------------------------
#: Replica states, one colour each: the leader, a follower in the ISR, one out of it.
REPLICA_COLORS = {"leader": "#0072B2", "in sync": "#56B4E9", "out of sync": "#DDDDDD"}


def replica_logs(frame: pd.DataFrame, *, ax: Axes | None = None) -> Figure:
    """Each partition's replicas on their brokers: a log strip per replica, the high watermark.

    ``frame``: ``cluster.replica_logs(topic)`` (``partition, broker, state, log_end_offset,
    leader, in_isr, hw``) from SimCluster or failover.RealReplicatedCluster. A strip is as
    long as that replica's log (a real cluster does not tell a follower's, so its strip stops
    at the high watermark, open-ended); the leader's is dark, in-sync followers' light, and
    replicas out of the ISR grey; the dashed line is the high watermark, below which
    consumers read. A broker that is down or paused says so.
    """
    from matplotlib.patches import Patch

    _check_columns(
        frame,
        ("partition", "broker", "state", "log_end_offset", "leader", "in_isr", "hw"),
        "replica_logs",
        "from cluster.replica_logs(topic) on SimCluster(brokers=3) or RealReplicatedCluster",
    )
    rows = frame.sort_values(["partition", "broker"]).reset_index(drop=True)
    fig, ax = _figure(ax, width=8.0, height=0.55 * len(rows) + 1.4)
    ends = [v for v in rows["log_end_offset"].tolist() + rows["hw"].tolist() if _known(v)]
    span = max(ends, default=0) or 1
    labels = []
    for y, row in enumerate(rows.itertuples()):
        kind = "leader" if row.leader else "in sync" if row.in_isr else "out of sync"
        known = _known(row.log_end_offset)
        length = row.log_end_offset if known else (row.hw if _known(row.hw) else 0)
        ax.barh(
            y,
            length,
            height=0.6,
            color=REPLICA_COLORS[kind],
            edgecolor="black" if row.leader else "#666666",
            linewidth=1.6 if row.leader else 0.6,
            hatch="" if known else "//",
            gid=f"replica-{row.partition}-{row.broker}",
        )
        note = f"LEO {row.log_end_offset}" if known else "LEO ?"
        if row.state != "up":
            note += f" ({row.state})"
        ax.text(length + span * 0.01, y, note, va="center", fontsize="small")
        if _known(row.hw):
            ax.plot([row.hw, row.hw], [y - 0.4, y + 0.4], color="#D55E00", linestyle="--", gid="hw")
        role = "leader" if row.leader else "follower"
        labels.append(f"p{row.partition} broker {row.broker} ({role})")
    ax.set_yticks(range(len(rows)), labels)
    ax.invert_yaxis()
    ax.set_xlim(0, span * 1.25)
    ax.set_xlabel("offset")
    ax.set_title("Replicas and the high watermark (dashed): consumers read below it", loc="left")
    handles = [Patch(facecolor=c, edgecolor="#666666", label=k) for k, c in REPLICA_COLORS.items()]
    handles.append(matplotlib.lines.Line2D([], [], color="#D55E00", linestyle="--", label="HW"))
    _legend_outside(ax, handles, title="replica")
    _fit_width(fig, ax)
    return fig


def _known(value: Any) -> bool:
    return value is not None and str(value) not in ("<NA>", "nan", "None")


#: Timeline events that open and close a shaded stretch: (start events, end event, label, colour).
FAILOVER_SPANS = (
    (("leader stopped", "leader killed"), "leader moved", "no leader", "#D55E00"),
    (("followers paused",), "followers resumed", "followers frozen", "#999999"),
    (("leader stopped", "leader killed", "follower stopped"), "ISR healed", "ISR short", "#E69F00"),
)


def failover_timeline(
    timelines: Mapping[str, pd.DataFrame] | pd.DataFrame, *, ax: Axes | None = None
) -> Figure:
    """A failover step by step: each event on a time axis, shaded while there is no leader,
    while followers are frozen and while the ISR is short, one lane per backend.

    ``timelines``: an experiment's ``frame.attrs["timeline"]`` (``time_ms, event``) from
    ``simkafka.failover``, or ``{"simulator": ..., "Kafka": ...}`` to compare backends.
    """
    from matplotlib.patches import Patch

    lanes = {"": timelines} if not isinstance(timelines, Mapping) else dict(timelines)
    for frame in lanes.values():
        _check_columns(
            frame,
            ("time_ms", "event"),
            "failover_timeline",
            'a failover experiment\'s attrs["timeline"]',
        )
    fig, ax = _figure(ax, width=9.0, height=1.4 + 1.6 * len(lanes))
    used = {}
    for lane, frame in enumerate(lanes.values()):
        t = {e: ms / 1000.0 for ms, e in zip(frame["time_ms"], frame["event"], strict=True)}
        for level, (starts, end, label, color) in enumerate(FAILOVER_SPANS):
            begin = min((t[s] for s in starts if s in t), default=None)
            if begin is None or end not in t:
                continue
            ax.broken_barh(
                [(begin, max(t[end] - begin, 0.02))],
                (lane - 0.35 + 0.22 * level, 0.2),
                facecolors=color,
                gid=f"span-{label}",
            )
            used[label] = color
        # Events at (nearly) the same moment share one tick and one label.
        moments: list[tuple[float, list[str]]] = []
        for ms, event in zip(frame["time_ms"], frame["event"], strict=True):
            x = ms / 1000.0
            if moments and x - moments[-1][0] < 0.15:
                moments[-1][1].append(event)
            else:
                moments.append((x, [event]))
        for i, (x, events) in enumerate(moments):
            ax.plot([x, x], [lane - 0.4, lane + 0.4], color="black", linewidth=0.8, gid="event")
            ax.text(
                x,
                lane - 0.45 - 0.2 * (i % 2),
                "\n".join(events),
                fontsize="x-small",
                ha="center",
                va="top",
            )
    # At least a second wide: a simulated controlled shutdown moves leadership in 0 ms, and
    # its spans must read as instants, not fill the axis.
    last = max((ms / 1000.0 for frame in lanes.values() for ms in frame["time_ms"]), default=0)
    right = max(1.0, 1.05 * last)
    ax.set_xlim(-0.02 * right, right)
    ax.set_yticks(range(len(lanes)), list(lanes))
    ax.set_ylim(len(lanes) - 0.5, -1.3)
    ax.set_xlabel("seconds since the experiment began")
    ax.set_title("Failover timeline", loc="left")
    _legend_outside(ax, [Patch(facecolor=c, label=k) for k, c in used.items()])
    _fit_width(fig, ax)
    return fig
