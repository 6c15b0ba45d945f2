"""Value formats: the auth service's account events as JSON and as Avro, on either backend.

Kafka stores a record's value as bytes and never looks inside: the producer's
``value_serializer`` chooses the format, and every consumer must know it. This module gives
the course's account events two formats, as plain callables that fit kafka-python's (and
the simulator's) ``value_serializer`` / ``value_deserializer``:

- **JSON**: self-describing text; every record repeats its field names; no contract, so a
  producer that renames a field breaks its readers silently;
- **Avro** (with fastavro): compact binary that holds only the values, written with a
  *schema* (``src/simkafka/schemas/account-event-v1.avsc``, ``-v2.avsc``). A reader needs the
  writer's schema to read the bytes at all, and may read with a newer schema of its own:
  Avro's schema resolution fills added fields from their defaults and follows renames
  through ``aliases``.

fastavro is imported only when an Avro function runs (the simulator's core does not need it).
In the browser (``make lite``) the site ships fastavro's own pure-Python fallback, which writes
the same bytes; elsewhere, without fastavro, those functions say how to install it.
"""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Callable, Iterable
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "AVRO_FORMATS",
    "FORMATS",
    "account_events",
    "avro_deserializer",
    "avro_serializer",
    "evolution",
    "json_deserializer",
    "json_serializer",
    "load_schema",
    "sizes",
    "stored_bytes",
]

#: The schema versions kept in the package (``schemas/account-event-<version>.avsc``).
SCHEMA_VERSIONS = ("v1", "v2")

#: The formats ``sizes`` and ``stored_bytes`` compare, in the order they print.
FORMATS = ("json", "avro", "avro+schema-id", "avro-file")

#: The Avro framings: ``None`` (the bare values), or ``"schema-id"``: Confluent's wire format,
#: a zero byte and a 4-byte schema id ahead of the values, so that a reader can look the
#: writer's schema up in a schema registry.
AVRO_FORMATS = (None, "schema-id")

#: When the course's sample events happen: 2026-01-01 00:00:00 UTC, as the simulator's clock.
START_MS = 1_767_225_600_000

#: The events of notebook 01: ``acct-1 created`` and then notebook 01's ``EVENTS``.
NOTEBOOK_01_EVENTS = (
    ("acct-1", "created"),
    ("acct-4", "created"),
    ("acct-5", "created"),
    ("acct-1", "email-changed"),
    ("acct-9", "created"),
    ("acct-4", "deleted"),
    ("acct-1", "email-changed"),
    ("acct-5", "email-changed"),
)


def _fastavro() -> Any:
    try:
        import fastavro
    except ImportError:
        raise ImportError(
            "Avro needs fastavro, which is not installed - pip install fastavro "
            "(it comes with the course's lab extra: pip install -e '.[lab]')"
        ) from None
    return fastavro


def account_events(
    sent: Iterable[tuple[str, str]] = NOTEBOOK_01_EVENTS, start_ms: int = START_MS
) -> list[dict]:
    """The account events as dicts of schema v1: ``account_id, event, email, at_ms``.

    An event that sets the e-mail (``created``, ``email-changed``) carries it; the others have
    ``email`` None. One event per second from ``start_ms``.

    >>> account_events([("acct-1", "created"), ("acct-1", "deleted")])[1]
    {'account_id': 'acct-1', 'event': 'deleted', 'email': None, 'at_ms': 1767225601000}
    """
    events = []
    changes: dict[str, int] = {}
    for i, (account, event) in enumerate(sent):
        email = None
        if event in ("created", "email-changed"):
            changes[account] = changes.get(account, 0) + 1
            email = f"{account}.{changes[account]}@example.com"
        events.append(
            {"account_id": account, "event": event, "email": email, "at_ms": start_ms + 1000 * i}
        )
    return events


# -- JSON ----------------------------------------------------------------------------------------
def json_serializer(event: dict) -> bytes:
    """An event as compact UTF-8 JSON (no spaces), the usual way to put JSON in Kafka.

    >>> json_serializer({"account_id": "acct-1", "event": "deleted"})
    b'{"account_id":"acct-1","event":"deleted"}'
    """
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()


def json_deserializer(value: bytes) -> dict:
    """The event a :func:`json_serializer` value holds.

    >>> json_deserializer(b'{"account_id":"acct-1","event":"deleted"}')["event"]
    'deleted'
    """
    return json.loads(value)


# -- Avro ----------------------------------------------------------------------------------------
@cache
def load_schema(version: str = "v1") -> dict:
    """The account event's Avro schema ``version`` (``"v1"`` or ``"v2"``), as a dict.

    >>> [f["name"] for f in load_schema("v1")["fields"]]
    ['account_id', 'event', 'email', 'at_ms']
    """
    if version not in SCHEMA_VERSIONS:
        raise ValueError(f"no account-event schema {version!r}; the versions are {SCHEMA_VERSIONS}")
    text = resources.files("simkafka").joinpath(f"schemas/account-event-{version}.avsc")
    return json.loads(text.read_text())


def _schema(schema: str | dict) -> dict:
    return load_schema(schema) if isinstance(schema, str) else schema


def _parsed(schema: str | dict) -> Any:
    # parse_schema returns a new dict; keep the caller's (or the cached one) untouched
    return _fastavro().parse_schema(json.loads(json.dumps(_schema(schema))))


def avro_serializer(
    schema: str | dict = "v1", *, framing: str | None = None, schema_id: int = 1, strict=True
) -> Callable[[dict], bytes]:
    """A ``value_serializer`` writing events as Avro binary with ``schema`` (a version or dict).

    ``framing="schema-id"`` puts Confluent's 5-byte header (a zero byte, then ``schema_id``
    as 4 bytes) before the values. ``strict`` (fastavro's ``strict_allow_default``) refuses an
    event with a field the schema does not have, or without one that has no default; with
    ``strict=False`` fastavro drops unknown fields and writes null for a missing nullable
    one, so a renamed field is lost without a word.

    >>> to_avro = avro_serializer("v1")
    >>> value = to_avro({"account_id": "acct-1", "event": "deleted", "at_ms": 0})
    >>> value, len(value)
    (b'\\x0cacct-1\\x0edeleted\\x00\\x00', 17)
    >>> to_avro({"account_id": "acct-1", "event": "deleted", "at_ms": 0, "mail": "x"})
    Traceback (most recent call last):
    ...
    ValueError: record contains more fields than the schema specifies: mail
    """
    if framing not in AVRO_FORMATS:
        raise ValueError(f"framing must be one of {AVRO_FORMATS}, got {framing!r}")
    fastavro = _fastavro()
    parsed = _parsed(schema)
    header = b"\x00" + struct.pack(">I", schema_id) if framing == "schema-id" else b""

    def serialize(event: dict) -> bytes:
        out = io.BytesIO(header)
        out.seek(len(header))
        fastavro.schemaless_writer(out, parsed, event, strict_allow_default=strict)
        return out.getvalue()

    return serialize


def avro_deserializer(
    writer: str | dict = "v1", reader: str | dict | None = None, *, framing: str | None = None
) -> Callable[[bytes], dict]:
    """A ``value_deserializer`` reading Avro written with ``writer``, as the ``reader`` schema.

    Without ``reader`` the event comes back as written. With one, Avro resolves the two:
    fields the writer did not have get the reader's defaults, fields the reader does not have
    are skipped, and a reader field finds a renamed writer field through its ``aliases``.

    >>> value = avro_serializer("v1")({"account_id": "acct-1", "event": "created",
    ...                                "email": "a@example.com", "at_ms": 0})
    >>> avro_deserializer("v1", "v2")(value)
    {'account_id': 'acct-1', 'event': 'created', 'email_address': 'a@example.com', 'at_ms': 0, 'display_name': None}
    """
    if framing not in AVRO_FORMATS:
        raise ValueError(f"framing must be one of {AVRO_FORMATS}, got {framing!r}")
    fastavro = _fastavro()
    written = _parsed(writer)
    read_as = _parsed(reader) if reader is not None else None
    skip = 5 if framing == "schema-id" else 0

    def deserialize(value: bytes) -> dict:
        if skip and value[:1] != b"\x00":
            raise ValueError(
                "not Confluent-framed Avro (its first byte is not 0): was it written with "
                "avro_serializer(framing='schema-id')?"
            )
        return fastavro.schemaless_reader(io.BytesIO(value[skip:]), written, read_as)

    return deserialize


def _avro_file(events: list[dict], schema: str | dict = "v1") -> bytes:
    """An Avro object container file: the schema as JSON in its header, then the events."""
    out = io.BytesIO()
    _fastavro().writer(out, _parsed(schema), events, strict_allow_default=True)
    return out.getvalue()


def serializer(fmt: str) -> Callable[[dict], bytes]:
    """The ``value_serializer`` of one of :data:`FORMATS` (``avro-file``: one file per value)."""
    if fmt == "json":
        return json_serializer
    if fmt == "avro":
        return avro_serializer("v1")
    if fmt == "avro+schema-id":
        return avro_serializer("v1", framing="schema-id")
    if fmt == "avro-file":
        return lambda event: _avro_file([event])
    raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")


def sizes(events: list[dict] | None = None) -> pd.DataFrame:
    """The same events' values in each of :data:`FORMATS`: bytes in all, and per event.

    ``avro-file`` is one Avro container file per value (the schema travels with each record:
    what you avoid with a schema registry). ``all_in_one_file`` is every event in one Avro
    file (the schema once): the price of the schema, shared.

    >>> table = sizes()
    >>> print(table.to_string(index=False))
            format  events  bytes  bytes_per_event
              json       8    752             94.0
              avro       8    341             42.6
    avro+schema-id       8    381             47.6
         avro-file       8   4477            559.6
    >>> table.attrs["all_in_one_file"]
    859
    """
    import pandas as pd

    events = account_events() if events is None else events
    rows = []
    for fmt in FORMATS:
        total = sum(len(serializer(fmt)(e)) for e in events)
        rows.append((fmt, len(events), total, round(total / len(events), 1)))
    frame = pd.DataFrame(rows, columns=["format", "events", "bytes", "bytes_per_event"])
    frame.attrs["all_in_one_file"] = len(_avro_file(events))
    return frame


def stored_bytes(backend: Any, events: list[dict] | None = None) -> pd.DataFrame:
    """Bytes the backend's log keeps for the same events in each format (one topic each).

    Each event is sent as its own record, keyed by account id, to a 1-partition topic per
    format; ``bytes`` is the partition's size from the backend's ``partitions`` table (on a
    real Kafka, DescribeLogDirs: the broker's own figure), which includes Kafka's record batch
    framing (61 bytes per batch) and each record's own header.
    """
    import pandas as pd

    from .clients import NewTopic
    from .experiments import open_backend

    events = account_events() if events is None else events
    rows = []
    with open_backend(backend) as cluster:
        admin = cluster.admin()
        for fmt in FORMATS:
            topic = cluster.topic_name(f"account-events-{fmt.replace('+', '-')}")
            admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
            producer = cluster.producer(key_serializer=str.encode, value_serializer=serializer(fmt))
            for event in events:
                producer.send(topic, key=event["account_id"], value=event).get()
            producer.close()
            table = cluster.partitions(topic)
            values = sum(len(serializer(fmt)(e)) for e in events)
            rows.append((fmt, len(events), values, int(table["bytes"].sum())))
    return pd.DataFrame(rows, columns=["format", "records", "value_bytes", "stored_bytes"])


def evolution() -> pd.DataFrame:
    """What a reader gets when the event changes shape, in JSON and in Avro: one row per case.

    The change: version 2 renames ``email`` to ``email_address`` and adds ``display_name``
    (with a default). Columns ``case, format, writer, reader, email_read, outcome``:
    ``email_read`` is the e-mail the reader ends up with (None: lost), ``outcome`` what
    happened, in words.
    """
    import pandas as pd

    _fastavro()  # fail here, with the install hint, not halfway through the table
    old = account_events([("acct-1", "created")])[0]
    renamed = {**{k: v for k, v in old.items() if k != "email"}, "email_address": old["email"]}
    v2_no_alias = json.loads(json.dumps(load_schema("v2")))
    for field in v2_no_alias["fields"]:
        field.pop("aliases", None)

    rows: list[tuple[str, str, str, str, Any, str]] = []

    def read(case: str, fmt: str, writer: str, reader: str, run: Callable[[], dict], field: str):
        try:
            got = run()
        except ValueError as exc:
            rows.append((case, fmt, writer, reader, None, f"refused: {exc}"))
            return
        email = got.get(field)
        extra = "" if "display_name" not in got else f", display_name={got['display_name']}"
        outcome = "read" if email else "e-mail lost, no error"
        rows.append((case, fmt, writer, reader, email, outcome + extra))

    v1_bytes = avro_serializer("v1")(old)
    read("same schema", "avro", "v1", "v1", lambda: avro_deserializer("v1")(v1_bytes), "email")
    read(
        "new reader, old data (alias)",
        "avro",
        "v1",
        "v2",
        lambda: avro_deserializer("v1", "v2")(v1_bytes),
        "email_address",
    )
    read(
        "new reader, old data (no alias)",
        "avro",
        "v1",
        "v2 without aliases",
        lambda: avro_deserializer("v1", v2_no_alias)(v1_bytes),
        "email_address",
    )
    v2_bytes = avro_serializer("v2")({**renamed, "display_name": "Ada"})
    read(
        "old reader, new data",
        "avro",
        "v2",
        "v1",
        lambda: avro_deserializer("v2", "v1")(v2_bytes),
        "email",
    )
    read(
        "renamed dict, old schema (strict)",
        "avro",
        "v1",
        "v1",
        lambda: avro_deserializer("v1")(avro_serializer("v1")(renamed)),
        "email",
    )
    read(
        "renamed dict, old schema (not strict)",
        "avro",
        "v1",
        "v1",
        lambda: avro_deserializer("v1")(avro_serializer("v1", strict=False)(renamed)),
        "email",
    )
    read(
        "new producer, old consumer",
        "json",
        "renamed",
        "reads email",
        lambda: json_deserializer(json_serializer(renamed)),
        "email",
    )
    frame = pd.DataFrame(
        rows, columns=["case", "format", "writer", "reader", "email_read", "outcome"]
    )
    frame["email_read"] = (
        frame["email_read"].astype(object).where(frame["email_read"].notna(), None)
    )
    return frame
