"""Producer partitioners: how a producer picks the partition of each record it sends.

Keyed records go where Kafka's murmur2 key hash puts them, bit-exact with the Java client;
keyless records follow one real client's strategy, chosen by name (``make_partitioner``).
"""

from __future__ import annotations

import difflib
import functools
import random
import struct
import sys
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from .errors import IllegalArgumentError, KafkaConfigurationError

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "PARTITIONERS",
    "CallablePartitioner",
    "ConsistentRandomPartitioner",
    "KafkaPythonPartitioner",
    "Murmur2RandomPartitioner",
    "Partitioner",
    "RoundRobinPartitioner",
    "StickyPartitioner",
    "make_partitioner",
    "murmur2",
    "partition_for_key",
    "partitions_for_keys",
]

#: The producer's ``batch_size`` default (bytes), as in Java and kafka-python.
DEFAULT_BATCH_SIZE = 16384

# murmur2's constants, as in Java's Utils.murmur2: the seed and the mixing multiplier (r = 24).
_SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK = 0xFFFFFFFF

# Measured crossovers (CPython 3.11): below 64 keys hashing key by key is as fast and can use
# the memo; numpy's fixed cost pays off from about 256 keys, the big-int lanes before that.
_BATCH_MIN = 64
_NUMPY_MIN = 256


def _check_key(key: object) -> bytes:
    """Return ``key`` as bytes, or say how to make it bytes: partitioners hash serialized keys."""
    if type(key) is bytes:
        return key
    if isinstance(key, bytes | bytearray | memoryview):
        return bytes(key)
    raise TypeError(
        f"the record key must be bytes, got {type(key).__name__} {key!r:.40} — "
        "encode it (key.encode('utf-8')) or give the producer a key_serializer"
    )


def _check_num_partitions(num_partitions: object) -> int:
    if type(num_partitions) is not int or num_partitions < 1:
        raise IllegalArgumentError(
            f"num_partitions must be an int >= 1, got {num_partitions!r} — a topic has at least "
            "one partition: create it with NewTopic(name, num_partitions=3, replication_factor=1)"
        )
    return num_partitions


_from_bytes = int.from_bytes

# Bound on a producer's memo of key hashes; emptied when full.
_MEMO_SIZE = 1 << 16


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 hash of ``data`` as Java's ``Utils.murmur2`` returns it: a signed 32-bit int.

    Bit-exact with the Java client (seed 0x9747b28c, m 0x5bd1e995, r 24), so a key lands
    on the same partition whichever client wrote it.

    >>> murmur2(b"21")
    -973932308
    >>> murmur2(b"foobar")
    -790332482
    """
    if type(data) is not bytes:
        data = _check_key(data)
    length = len(data)
    if length > 64:
        return _murmur2_long(data)
    # One Python int holds the whole key (little-endian); after the 4-byte words are consumed
    # what is left of it is exactly the tail Java mixes in byte by byte. Constants are
    # literals (m = 0x5BD1E995), the cheapest operands in CPython, and the first four words
    # are unrolled, since loops cost more than the hashing itself for short keys.
    # (x * m) mod 2**32 depends only on x's low 32 bits, so x is never masked, and h is
    # masked only before it is shifted or multiplied again.
    x = _from_bytes(data, "little")
    if length < 4:
        h = 0x9747B28C ^ length
    else:
        k = (x * 0x5BD1E995) & 0xFFFFFFFF
        x >>= 32
        h = _FIRST_H[length] ^ (k ^ (k >> 24)) * 0x5BD1E995
        if length >= 8:
            k = (x * 0x5BD1E995) & 0xFFFFFFFF
            x >>= 32
            h = (h & 0xFFFFFFFF) * 0x5BD1E995 ^ (k ^ (k >> 24)) * 0x5BD1E995
            if length >= 12:
                k = (x * 0x5BD1E995) & 0xFFFFFFFF
                x >>= 32
                h = (h & 0xFFFFFFFF) * 0x5BD1E995 ^ (k ^ (k >> 24)) * 0x5BD1E995
                if length >= 16:
                    k = (x * 0x5BD1E995) & 0xFFFFFFFF
                    x >>= 32
                    h = (h & 0xFFFFFFFF) * 0x5BD1E995 ^ (k ^ (k >> 24)) * 0x5BD1E995
                    if length >= 20:
                        for _ in range((length >> 2) - 4):
                            k = (x * 0x5BD1E995) & 0xFFFFFFFF
                            x >>= 32
                            h = (h & 0xFFFFFFFF) * 0x5BD1E995 ^ (k ^ (k >> 24)) * 0x5BD1E995
    if length & 3:
        h = (h ^ x) * 0x5BD1E995
    h &= 0xFFFFFFFF
    h = ((h ^ (h >> 13)) * 0x5BD1E995) & 0xFFFFFFFF
    h ^= h >> 15
    # Java's int is signed; `& 0x7FFFFFFF` (toPositive) gives the same bits either way.
    return h - 0x100000000 if h & 0x80000000 else h


# h after the first word's multiply, for every key length murmur2 hashes as one int.
_FIRST_H = tuple(((_SEED ^ n) * _M) for n in range(65))


def _murmur2_long(data: bytes) -> int:
    """murmur2 of a key over 64 bytes: shifting its int would cost O(length) per word."""
    length = len(data)
    h = _SEED ^ length
    for k in struct.unpack_from(f"<{length >> 2}I", data):
        k = (k * _M) & _MASK
        h = ((h * _M) ^ ((k ^ (k >> 24)) * _M)) & _MASK
    if length & 3:
        h = ((h ^ _from_bytes(data[length & ~3 :], "little")) * _M) & _MASK
    h = ((h ^ (h >> 13)) * _M) & _MASK
    h ^= h >> 15
    return h - 0x100000000 if h & 0x80000000 else h


def partition_for_key(key: bytes, num_partitions: int) -> int:
    """The partition the Java producer picks for a keyed record: ``toPositive(murmur2(key)) % n``.

    ``toPositive`` clears the sign bit (``& 0x7fffffff``); it is not ``abs``. The count is
    the topic's total number of partitions, available or not, so a key keeps its partition
    while a leader is down — and moves when partitions are added.

    >>> partition_for_key(b"21", 3)
    0
    >>> partition_for_key(b"acct-42", 6) == partition_for_key(b"acct-42", 6)
    True
    """
    if type(num_partitions) is not int or num_partitions < 1:
        _check_num_partitions(num_partitions)
    return (murmur2(key) & 0x7FFFFFFF) % num_partitions


Engine = Literal["auto", "numpy", "python"]


def partitions_for_keys(
    keys: Sequence[bytes], num_partitions: int, *, engine: Engine = "auto"
) -> list[int]:
    """``partition_for_key`` for many keys at once, in the same order, equal key by key.

    All keys are hashed together, one vector operation per murmur2 step: with numpy
    (``engine="numpy"``), or with plain Python ints used as wide registers
    (``engine="python"``, what Pyodide without numpy gets). ``engine="auto"`` hashes fewer
    than 64 keys one by one, up to 256 with Python ints, and more with numpy if it imports.

    >>> partitions_for_keys([b"21", b"acct-1", b"acct-2"], 3)
    [0, 2, 2]
    """
    n = _check_num_partitions(num_partitions)
    if engine not in ("auto", "numpy", "python"):
        raise IllegalArgumentError(f"engine must be 'auto', 'numpy' or 'python', got {engine!r}")
    if not isinstance(keys, list):
        keys = list(keys)
    if engine == "auto" and len(keys) < _BATCH_MIN:
        return [partition_for_key(k, n) for k in keys]
    try:
        joined = b"".join(keys)
    except TypeError:  # a key that is not bytes-like: say how to make it bytes
        keys = [_check_key(k) for k in keys]
        joined = b"".join(keys)
    if engine == "python" or (engine == "auto" and len(keys) < _NUMPY_MIN):
        np = None
    else:
        np = _numpy()
    if engine == "numpy" and np is None:
        raise IllegalArgumentError("engine='numpy' needs numpy — pip install numpy, or use 'auto'")
    if np is not None:
        return _partitions_numpy(np, keys, joined, n)
    return _partitions_wide_int(keys, joined, n)


def _as_bytes(keys: list[bytes]) -> tuple[list[bytes], bytes]:
    """Keys whose len() is not their size in bytes (a memoryview of ints), made bytes."""
    keys = [_check_key(k) for k in keys]
    return keys, b"".join(keys)


_NUMPY: object = None


def _numpy():  # -> the numpy module or None
    global _NUMPY
    if _NUMPY is None:
        try:
            import numpy
        except ImportError:
            _NUMPY = False
        else:
            _NUMPY = numpy
    return _NUMPY or None


def _partitions_numpy(np, keys: list[bytes], joined: bytes, n: int) -> list[int]:
    # uint32 arithmetic wraps modulo 2**32 exactly like Java's int, so each murmur2 step is
    # one vector operation over all keys: a gather of every key's i-th word, then the mix.
    if not keys:
        return []
    u32 = np.uint32
    m = u32(_M)
    try:  # keys under 256 bytes (the usual case): their lengths are one bytes object, made in C
        lengths = np.frombuffer(bytes(map(len, keys)), np.uint8)
    except ValueError:
        lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
    if int(lengths.sum(dtype=np.int64)) != len(joined):
        return _partitions_numpy(np, *_as_bytes(keys), n)
    n4 = lengths >> 2
    steps, fewest = int(n4.max()), int(n4.min())
    # `word[o]` is the little-endian word at byte o of the joined keys: an unaligned view
    # with a 1-byte stride, zero-padded past the end (a short key's words beyond its own are
    # read, then ignored), so a key's i-th word and its tail are gathers at start + 4 * i.
    padded = joined + bytes(4 * steps + 4)
    word = np.ndarray((len(padded) - 3,), "<u4", padded, 0, (1,))
    at = np.cumsum(lengths, dtype=np.int64) - lengths
    h = lengths.astype(u32)
    h ^= u32(_SEED)
    if steps - fewest <= 4:
        # Keys of similar lengths (the usual case): every key takes every step; those that
        # have run out of words keep their hash.
        for i in range(steps):
            k = word[at]
            k *= m
            k ^= k >> u32(24)
            k *= m
            if i < fewest:
                h *= m
                h ^= k
            else:
                h = np.where(n4 > i, (h * m) ^ k, h)
            at += 4
        at -= 4 * (steps - n4)  # back to each key's tail
    else:
        # Keys with the most words first, so the keys still hashing at step i are a prefix.
        n4 = n4.astype(np.int64)
        order = np.argsort(-n4, kind="stable")
        offsets, hashing = at[order], h[order]
        still = np.searchsorted(-n4[order], -np.arange(steps), side="left")
        for i in range(steps):
            count = int(still[i])
            k = word[offsets[:count] + 4 * i]
            k *= m
            k ^= k >> u32(24)
            k *= m
            hashing[:count] = (hashing[:count] * m) ^ k
        h[order] = hashing
        at += 4 * n4
    rest = (lengths & 3).astype(u32)
    if rest.any():
        tail_mask = (u32(1) << (rest * u32(8))) - u32(1)
        h = np.where(rest > 0, (h ^ (word[at] & tail_mask)) * m, h)
    h ^= h >> u32(13)
    h *= m
    h ^= h >> u32(15)
    return ((h & u32(0x7FFFFFFF)) % u32(n)).tolist()


@functools.lru_cache(maxsize=64)
def _lane_constant(word: bytes, lanes: int) -> int:
    return int.from_bytes(word * lanes, "little")


def _wide_int_murmur2(joined: bytes, count: int, length: int) -> list[int]:
    """Hash ``count`` joined keys of one ``length`` at once: lane i of a big int (64 bits
    wide) holds key i's state.

    A lane's 32-bit value times m is below 2**64, so products never spill into the next lane;
    right shifts do spill the next lane's low bits into this lane's top half, which the lane
    mask clears. Every murmur2 step then costs a handful of big-int operations for all keys.
    """
    lane_mask = _lane_constant(b"\xff\xff\xff\xff\0\0\0\0", count)
    h = _lane_constant((_SEED ^ length).to_bytes(4, "little") + b"\0\0\0\0", count)
    lane = bytearray(8 * count)
    n4 = length >> 2
    for i in range(n4):
        for b in range(4):
            lane[b::8] = joined[4 * i + b :: length]
        k = (int.from_bytes(lane, "little") * _M) & lane_mask
        k ^= (k >> 24) & lane_mask
        h = ((h * _M) ^ (k * _M)) & lane_mask
    if length & 3:
        lane = bytearray(8 * count)
        for b in range(length & 3):
            lane[b::8] = joined[4 * n4 + b :: length]
        h = ((h ^ int.from_bytes(lane, "little")) * _M) & lane_mask
    h ^= (h >> 13) & lane_mask
    h = (h * _M) & lane_mask
    h ^= (h >> 15) & lane_mask
    raw = h.to_bytes(8 * count, "little")
    if sys.byteorder == "little":
        return memoryview(raw).cast("Q").tolist()
    return [int.from_bytes(raw[8 * i : 8 * i + 8], "little") for i in range(count)]


def _partitions_wide_int(keys: list[bytes], joined: bytes, n: int) -> list[int]:
    by_length: dict[int, list[int]] = {}
    lengths = list(map(len, keys))
    if sum(lengths) != len(joined):
        return _partitions_wide_int(*_as_bytes(keys), n)
    if lengths and min(lengths) == max(lengths):
        hashes = _wide_int_murmur2(joined, len(keys), lengths[0])
        return [(h & 0x7FFFFFFF) % n for h in hashes]
    for i, length in enumerate(lengths):
        by_length.setdefault(length, []).append(i)
    out = [0] * len(keys)
    for length, idx in by_length.items():
        hashes = _wide_int_murmur2(b"".join([keys[i] for i in idx]), len(idx), length)
        for i, h in zip(idx, hashes, strict=True):
            out[i] = (h & 0x7FFFFFFF) % n
    return out


# --- partitioners selectable by name -------------------------------------------------------


@runtime_checkable
class Partitioner(Protocol):
    """What the simulated producer calls once per record that has no explicit partition.

    ``record_size`` is the record's serialized size in bytes (what the accumulator appends);
    only the sticky strategy uses it.
    """

    name: str

    def partition(
        self, topic: str, key: bytes | None, num_partitions: int, record_size: int
    ) -> int:
        """Return the partition (``0 <= p < num_partitions``) for this record."""
        ...


def _random_partition(rng: random.Random, num_partitions: int) -> int:
    return rng.randrange(num_partitions)


class _KeyHashes:
    """A producer's memo of its keys' hashes: it sends the same keys over and over (an account
    id per record), and a dict lookup is ten times cheaper than murmur2. Bounded: emptied
    when full, so it stays deterministic."""

    def __init__(self) -> None:
        self._hashes: dict[bytes, int] = {}

    def _partition_for_key(self, key: bytes, n: int) -> int:
        if type(key) is not bytes:
            key = _check_key(key)
        h = self._hashes.get(key)
        if h is None:
            if len(self._hashes) >= _MEMO_SIZE:
                self._hashes.clear()
            h = self._hashes[key] = murmur2(key) & 0x7FFFFFFF
        return h % n


@dataclass
class _StickyPartitionInfo:
    partition: int
    produced_bytes: int = 0


class StickyPartitioner(_KeyHashes):
    """Java's built-in partitioner (default since Kafka 3.3, KIP-794 "uniform sticky").

    What the Java client does (``KafkaProducer.partition`` and ``BuiltInPartitioner``):

    * a keyed record goes to ``toPositive(murmur2(key)) % num_partitions``;
    * keyless records of a topic all go to one "sticky" partition. After each append the
      bytes produced to it are added up, and once they reach ``batch.size`` the partitioner
      switches to a partition drawn uniformly at random — ``toPositive(nextInt()) % n`` —
      which may be the same one again (unlike the older KIP-480 sticky cache, it does not
      exclude the current partition). The record that crosses the threshold still lands on
      the old partition. Keyed records never count towards the threshold.

    Simplified here: all partitions are available and have equal queues, so the adaptive
    weighting by queue size (``partitioner.adaptive.partitioning.enable``) and the
    availability timeout have nothing to act on; and the switch is always enabled, whereas
    Java postpones it (up to 2 x ``batch.size``) while the partition's last batch is not
    yet full, to avoid sending fractional batches.

    >>> p = StickyPartitioner(rng=random.Random(7), batch_size=100)
    >>> [p.partition("t", None, 4, 40) for _ in range(9)]  # 3 x 40 bytes reach batch_size=100
    [0, 0, 0, 2, 2, 2, 3, 3, 3]
    >>> p.partition("t", b"21", 4, 40)  # a keyed record goes where murmur2 puts it
    0
    """

    name = "sticky"

    def __init__(self, *, rng: random.Random, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        if type(batch_size) is not int or batch_size < 1:
            raise KafkaConfigurationError(
                f"batch_size must be an int >= 1 (bytes), got {batch_size!r} — "
                f"the producer default is {DEFAULT_BATCH_SIZE}"
            )
        super().__init__()
        self.rng = rng
        self.batch_size = batch_size
        # One BuiltInPartitioner per topic in Java; here one entry per topic.
        self._sticky: dict[str, _StickyPartitionInfo] = {}

    def partition(
        self, topic: str, key: bytes | None, num_partitions: int, record_size: int
    ) -> int:
        n = _check_num_partitions(num_partitions)
        if key is not None:
            return self._partition_for_key(key, n)
        info = self._sticky.get(topic)
        if info is None or info.partition >= n:
            info = self._sticky[topic] = _StickyPartitionInfo(self._next_partition(n))
        chosen = info.partition
        info.produced_bytes += record_size
        if info.produced_bytes >= self.batch_size:
            self._sticky[topic] = _StickyPartitionInfo(self._next_partition(n))
        return chosen

    def _next_partition(self, n: int) -> int:
        # Java: Utils.toPositive(ThreadLocalRandom.current().nextInt()) % partitions.size()
        return self.rng.getrandbits(31) % n


class RoundRobinPartitioner:
    """Java's ``RoundRobinPartitioner``: a per-topic counter, ``toPositive(counter++) % n``.

    It ignores the key entirely — keyed records are spread like keyless ones, so per-key
    order is lost. Here it is the plain counter the class implements. In the real Java
    producer up to 3.8, ``KafkaProducer.doSend`` calls a custom partitioner a second time
    whenever a record opens a new batch (``abortOnNewBatch`` then ``onNewBatch``), so the
    counter skips values and, with an even partition count, only half the partitions get
    records (KAFKA-9965, KAFKA-16283); KAFKA-17632 fixed it in 3.9 and 4.0.

    >>> p = RoundRobinPartitioner()
    >>> [p.partition("t", b"same-key", 3, 10) for _ in range(5)]
    [0, 1, 2, 0, 1]
    """

    name = "round_robin"

    def __init__(self) -> None:
        self._counters: dict[str, int] = {}

    def partition(
        self, topic: str, key: bytes | None, num_partitions: int, record_size: int
    ) -> int:
        n = _check_num_partitions(num_partitions)
        value = self._counters.get(topic, 0)
        # Java's AtomicInteger wraps at 2**31; toPositive then clears the sign bit.
        self._counters[topic] = (value + 1) & _MASK
        return (value & 0x7FFFFFFF) % n


class KafkaPythonPartitioner(_KeyHashes):
    """kafka-python 3.x's ``DefaultPartitioner`` (its producer's default).

    Keyed records: ``(murmur2(key) & 0x7fffffff) % len(all_partitions)``, the same partition
    as Java. Keyless records: ``random.choice`` over the available partitions, a fresh draw
    per record (no stickiness; kafka-python's opt-in ``StickyPartitioner`` is not modelled).
    kafka-python uses the global ``random`` module; here the draw comes from ``rng``, and with
    the same seed the sequence is the same.

    >>> p = KafkaPythonPartitioner(rng=random.Random(7))
    >>> [p.partition("t", None, 4, 10) for _ in range(6)]  # a fresh draw per record
    [2, 1, 3, 0, 0, 0]
    """

    name = "kafka-python"

    def __init__(self, *, rng: random.Random) -> None:
        super().__init__()
        self.rng = rng

    def partition(
        self, topic: str, key: bytes | None, num_partitions: int, record_size: int
    ) -> int:
        n = _check_num_partitions(num_partitions)
        if key is not None:
            return self._partition_for_key(key, n)
        return self.rng.choice(range(n))


class ConsistentRandomPartitioner:
    """librdkafka's default ``consistent_random`` (so confluent-kafka-python's default).

    Keyed records: ``crc32(key) % n`` (zlib's CRC-32), so a key lands on a different partition
    than with a Java or kafka-python producer. A null *or empty* key (``keylen == 0``) gets
    a random partition. librdkafka also puts such records on a time-based sticky partition
    for ``sticky.partitioning.linger.ms`` (default 2 x ``linger.ms`` = 10 ms); this model has
    no wall clock and draws per record.

    >>> p = ConsistentRandomPartitioner(rng=random.Random(7))
    >>> p.partition("t", b"21", 3, 10) == zlib.crc32(b"21") % 3
    True
    """

    name = "consistent_random"

    def __init__(self, *, rng: random.Random) -> None:
        self.rng = rng

    def partition(
        self, topic: str, key: bytes | None, num_partitions: int, record_size: int
    ) -> int:
        n = _check_num_partitions(num_partitions)
        if not key:
            return _random_partition(self.rng, n)
        return zlib.crc32(_check_key(key)) % n


class Murmur2RandomPartitioner(_KeyHashes):
    """librdkafka's ``murmur2_random``: the Java-compatible choice for librdkafka clients.

    Keyed records (an empty key included) by ``(murmur2(key) & 0x7fffffff) % n``, like Java;
    null keys random (librdkafka's sticky linger applies as for ``consistent_random``).

    >>> p = Murmur2RandomPartitioner(rng=random.Random(7))
    >>> p.partition("t", b"21", 3, 10) == partition_for_key(b"21", 3)
    True
    """

    name = "murmur2_random"

    def __init__(self, *, rng: random.Random) -> None:
        super().__init__()
        self.rng = rng

    def partition(
        self, topic: str, key: bytes | None, num_partitions: int, record_size: int
    ) -> int:
        n = _check_num_partitions(num_partitions)
        if key is None:
            return _random_partition(self.rng, n)
        return self._partition_for_key(key, n)


PartitionFunction = Callable[[str, "bytes | None", int, int], int]


class CallablePartitioner:
    """A custom partitioner: any ``f(topic, key, num_partitions, record_size) -> int``.

    Its answer is checked as the Java producer checks a custom partitioner's.

    >>> p = CallablePartitioner(lambda topic, key, n, size: n - 1)
    >>> p.partition("t", b"k", 4, 10)
    3
    """

    def __init__(self, function: PartitionFunction | Partitioner, name: str | None = None) -> None:
        self.function = function.partition if isinstance(function, Partitioner) else function
        self.name = (
            name or getattr(function, "name", None) or getattr(function, "__name__", "custom")
        )

    def partition(
        self, topic: str, key: bytes | None, num_partitions: int, record_size: int
    ) -> int:
        n = _check_num_partitions(num_partitions)
        p = self.function(topic, key, n, record_size)
        if type(p) is not int or not 0 <= p < n:
            raise IllegalArgumentError(
                f"the partitioner {self.name!r} generated an invalid partition number {p!r} for "
                f"topic {topic!r} with {n} partitions — return an int from 0 to {n - 1}"
            )
        return p


_FACTORIES: dict[str, Callable[[random.Random, int], Partitioner]] = {
    "sticky": lambda rng, batch_size: StickyPartitioner(rng=rng, batch_size=batch_size),
    "round_robin": lambda rng, batch_size: RoundRobinPartitioner(),
    "kafka-python": lambda rng, batch_size: KafkaPythonPartitioner(rng=rng),
    "consistent_random": lambda rng, batch_size: ConsistentRandomPartitioner(rng=rng),
    "murmur2_random": lambda rng, batch_size: Murmur2RandomPartitioner(rng=rng),
}

#: The partitioner names ``make_partitioner`` accepts.
PARTITIONERS: tuple[str, ...] = tuple(_FACTORIES)


def _unknown_name(kind: str, name: object, valid: Sequence[str]) -> str:
    """A one-line message for an unknown name, with the nearest valid one when there is one."""
    text = str(name)
    squashed = text.lower().replace("-", "").replace("_", "").replace(" ", "")
    hint = next((v for v in valid if v.lower().replace("-", "").replace("_", "") == squashed), None)
    if hint is None:
        close = difflib.get_close_matches(text.lower(), valid, n=1, cutoff=0.6)
        hint = close[0] if close else None
    did_you_mean = f" — did you mean {hint!r}?" if hint else ""
    return f"unknown {kind} {name!r}{did_you_mean} Valid names: {', '.join(valid)}"


def make_partitioner(
    name: str | PartitionFunction | Partitioner,
    *,
    rng: random.Random,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Partitioner:
    """Build the partitioner named ``name`` (one of ``PARTITIONERS``), or wrap a custom one.

    ``rng`` is the simulation's seeded random source (every random draw comes from it);
    ``batch_size`` is the producer's ``batch_size``, used by ``"sticky"``.

    >>> make_partitioner("sticky", rng=random.Random(0)).name
    'sticky'
    >>> make_partitioner("roundrobin", rng=random.Random(0))
    Traceback (most recent call last):
    ...
    simkafka.errors.KafkaConfigurationError: KafkaConfigurationError: unknown partitioner \
'roundrobin' — did you mean 'round_robin'? Valid names: sticky, round_robin, kafka-python, \
consistent_random, murmur2_random
    """
    if not isinstance(name, str):
        if callable(name) or isinstance(name, Partitioner):
            return CallablePartitioner(name)
        raise KafkaConfigurationError(
            f"partitioner must be a name or a callable, got {type(name).__name__}"
        )
    factory = _FACTORIES.get(name)
    if factory is None:
        raise KafkaConfigurationError(_unknown_name("partitioner", name, PARTITIONERS))
    return factory(rng, batch_size)
