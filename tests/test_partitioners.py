"""Routing records to partitions: murmur2, keyed routing, and the keyless strategies by name."""

from __future__ import annotations

import random
import zlib
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simkafka.errors import IllegalArgumentError, KafkaConfigurationError
from simkafka.partitioners import (
    DEFAULT_BATCH_SIZE,
    PARTITIONERS,
    CallablePartitioner,
    ConsistentRandomPartitioner,
    KafkaPythonPartitioner,
    Murmur2RandomPartitioner,
    Partitioner,
    RoundRobinPartitioner,
    StickyPartitioner,
    make_partitioner,
    murmur2,
    partition_for_key,
    partitions_for_keys,
)

# Java's UtilsTest.testMurmur2: the published vectors of Utils.murmur2.
JAVA_MURMUR2_VECTORS = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    b"abc": 479470107,
}


@pytest.mark.parametrize("data, expected", JAVA_MURMUR2_VECTORS.items())
def test_murmur2_matches_javas_published_vectors(data: bytes, expected: int) -> None:
    assert murmur2(data) == expected


@pytest.mark.parametrize("data, expected", JAVA_MURMUR2_VECTORS.items())
def test_key_lands_where_java_puts_it(data: bytes, expected: int) -> None:
    # BuiltInPartitioner.partitionForKey: Utils.toPositive(murmur2(key)) % numPartitions
    for n in (1, 2, 3, 6, 12, 100):
        assert partition_for_key(data, n) == (expected & 0x7FFFFFFF) % n


def test_negative_hash_clears_the_sign_bit_rather_than_taking_abs() -> None:
    assert murmur2(b"21") < 0
    assert partition_for_key(b"21", 7) == (-973932308 & 0x7FFFFFFF) % 7
    assert partition_for_key(b"21", 7) != abs(-973932308) % 7


def test_murmur2_is_a_signed_32_bit_int_for_every_tail_length() -> None:
    for length in range(0, 40):
        h = murmur2(bytes(range(length)))
        assert -(2**31) <= h < 2**31


def test_empty_key_is_hashed_not_random() -> None:
    assert (
        partition_for_key(b"", 10) == partition_for_key(b"", 10) == (murmur2(b"") & 0x7FFFFFFF) % 10
    )


def test_same_key_always_lands_on_the_same_partition() -> None:
    assert len({partition_for_key(b"acct-42", 6) for _ in range(100)}) == 1


def test_adding_partitions_moves_keys() -> None:
    keys = [b"acct-%d" % i for i in range(1000)]
    before = partitions_for_keys(keys, 6)
    after = partitions_for_keys(keys, 8)
    moved = sum(b != a for b, a in zip(before, after, strict=True))
    assert moved > 500  # a key keeps its partition only while the partition count stays put


def test_string_key_asks_for_a_serializer() -> None:
    with pytest.raises(TypeError, match="key_serializer"):
        partition_for_key("acct-1", 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="encode"):
        partitions_for_keys([b"ok", "acct-1"], 3)  # type: ignore[list-item]


@pytest.mark.parametrize("bad", [0, -1, 2.0, None])
def test_zero_partitions_is_refused_with_the_fix(bad: object) -> None:
    with pytest.raises(IllegalArgumentError, match="NewTopic"):
        partition_for_key(b"k", bad)  # type: ignore[arg-type]


def test_a_producer_routes_exactly_past_its_memo_size() -> None:
    p = KafkaPythonPartitioner(rng=random.Random(0))
    keys = [b"user-%d" % i for i in range(70_000)]  # more keys than the memo holds
    expected = partitions_for_keys(keys, 9, engine="numpy")
    assert [p.partition("t", k, 9, 10) for k in keys] == expected
    assert [p.partition("t", k, 9, 10) for k in keys] == expected


def test_bytearray_and_memoryview_keys_hash_like_bytes() -> None:
    assert partition_for_key(bytearray(b"acct-1"), 5) == partition_for_key(b"acct-1", 5)
    assert murmur2(memoryview(b"foobar")) == -790332482


# --- batched routing --------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["auto", "numpy", "python"])
def test_batched_routing_equals_key_by_key(engine: str) -> None:
    rng = random.Random(42)
    keys = [b"acct-%d" % i for i in range(3000)]
    keys += [rng.randbytes(rng.randrange(0, 70)) for _ in range(3000)]
    keys += [b""] * 5
    rng.shuffle(keys)
    for n in (1, 3, 16, 1000):
        assert partitions_for_keys(keys, n, engine=engine) == [
            partition_for_key(k, n) for k in keys
        ]


@pytest.mark.parametrize("engine", ["numpy", "python"])
def test_batched_routing_of_equal_length_keys(engine: str) -> None:
    keys = [b"order-%06d" % i for i in range(5000)]
    assert partitions_for_keys(keys, 12, engine=engine) == [partition_for_key(k, 12) for k in keys]


@pytest.mark.parametrize("engine", ["numpy", "python"])
def test_batched_routing_of_keys_of_nearby_lengths(engine: str) -> None:
    # Keys 4 to 23 bytes long: every key takes every step, those out of words keep their hash.
    rng = random.Random(7)
    keys = [rng.randbytes(rng.randrange(4, 24)) for _ in range(4000)]
    assert partitions_for_keys(keys, 7, engine=engine) == [partition_for_key(k, 7) for k in keys]


@pytest.mark.parametrize("engine", ["numpy", "python"])
def test_batched_routing_of_keys_of_256_bytes_and_more(engine: str) -> None:
    rng = random.Random(8)
    keys = [rng.randbytes(rng.choice([3, 255, 256, 300, 1000])) for _ in range(600)]
    assert partitions_for_keys(keys, 11, engine=engine) == [partition_for_key(k, 11) for k in keys]


@pytest.mark.parametrize("engine", ["auto", "numpy", "python"])
def test_batched_routing_of_nothing_is_nothing(engine: str) -> None:
    assert partitions_for_keys([], 3, engine=engine) == []


@settings(max_examples=60, deadline=None)
@given(keys=st.lists(st.binary(max_size=24), max_size=300), n=st.integers(1, 50))
def test_batched_routing_property(keys: list[bytes], n: int) -> None:
    expected = [partition_for_key(k, n) for k in keys]
    assert partitions_for_keys(keys, n, engine="python") == expected
    assert partitions_for_keys(keys, n, engine="numpy") == expected


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(IllegalArgumentError, match="engine"):
        partitions_for_keys([b"k"], 3, engine="gpu")  # type: ignore[arg-type]


# --- sticky (Java's built-in partitioner, KIP-794) --------------------------------------------


def test_sticky_keyless_records_stay_until_batch_size_bytes() -> None:
    p = StickyPartitioner(rng=random.Random(1), batch_size=1000)
    chosen = [p.partition("t", None, 6, 100) for _ in range(30)]
    # 10 records of 100 bytes fill batch.size; the 10th still lands on the old partition.
    runs = [chosen[i : i + 10] for i in range(0, 30, 10)]
    for run in runs:
        assert len(set(run)) == 1


def test_sticky_switches_after_the_record_that_reaches_batch_size() -> None:
    p = StickyPartitioner(rng=random.Random(3), batch_size=250)
    chosen = [p.partition("t", None, 50, 100) for _ in range(6)]
    # 100 + 100 + 100 >= 250: the third record is the last on the first partition.
    assert chosen[0] == chosen[1] == chosen[2]
    assert chosen[3] == chosen[4] == chosen[5]


def test_sticky_new_partition_may_be_the_same_one_again() -> None:
    # BuiltInPartitioner draws uniformly among all partitions, the current one included.
    p = StickyPartitioner(rng=random.Random(0), batch_size=1)
    chosen = [p.partition("t", None, 2, 1) for _ in range(200)]
    assert any(a == b for a, b in zip(chosen, chosen[1:], strict=False))


def test_sticky_keyed_records_hash_and_do_not_count_towards_the_batch() -> None:
    p = StickyPartitioner(rng=random.Random(1), batch_size=1000)
    first = p.partition("t", None, 6, 900)
    for i in range(50):
        key = b"acct-%d" % i
        assert p.partition("t", key, 6, 900) == partition_for_key(key, 6)
    assert p.partition("t", None, 6, 50) == first  # 950 bytes so far: still sticky


def test_sticky_keeps_one_sticky_partition_per_topic() -> None:
    p = StickyPartitioner(rng=random.Random(5), batch_size=10_000)
    a = {p.partition("a", None, 100, 10) for _ in range(20)}
    b = {p.partition("b", None, 100, 10) for _ in range(20)}
    assert len(a) == len(b) == 1


def test_sticky_spreads_batches_uniformly_over_time() -> None:
    p = StickyPartitioner(rng=random.Random(9), batch_size=100)
    counts = Counter(p.partition("t", None, 4, 100) for _ in range(4000))
    assert set(counts) == {0, 1, 2, 3}
    assert min(counts.values()) > 800


def test_sticky_same_seed_same_partitions() -> None:
    def run() -> list[int]:
        p = make_partitioner("sticky", rng=random.Random(11), batch_size=300)
        return [p.partition("t", None, 5, 120) for _ in range(40)]

    assert run() == run()


def test_sticky_default_batch_size_is_javas() -> None:
    assert DEFAULT_BATCH_SIZE == 16384
    assert make_partitioner("sticky", rng=random.Random(0)).batch_size == 16384  # type: ignore[attr-defined]


def test_sticky_refuses_a_zero_batch_size() -> None:
    with pytest.raises(KafkaConfigurationError, match="batch_size"):
        make_partitioner("sticky", rng=random.Random(0), batch_size=0)


# --- round robin, kafka-python, librdkafka ----------------------------------------------------


def test_round_robin_ignores_the_key() -> None:
    p = RoundRobinPartitioner()
    assert [p.partition("t", b"same-key", 3, 10) for _ in range(7)] == [0, 1, 2, 0, 1, 2, 0]


def test_round_robin_counts_per_topic() -> None:
    p = make_partitioner("round_robin", rng=random.Random(0))
    assert [p.partition("a", None, 4, 1) for _ in range(3)] == [0, 1, 2]
    assert [p.partition("b", None, 4, 1) for _ in range(2)] == [0, 1]
    assert p.partition("a", None, 4, 1) == 3


def test_kafka_python_keyless_records_are_a_fresh_random_choice() -> None:
    rng_a, rng_b = random.Random(21), random.Random(21)
    p = KafkaPythonPartitioner(rng=rng_a)
    got = [p.partition("t", None, 5, 10) for _ in range(50)]
    assert got == [rng_b.choice(range(5)) for _ in range(50)]
    assert len(set(got)) > 1


def test_kafka_python_keyed_records_match_java() -> None:
    p = make_partitioner("kafka-python", rng=random.Random(0))
    for key in JAVA_MURMUR2_VECTORS:
        assert p.partition("t", key, 7, 10) == partition_for_key(key, 7)


def test_consistent_random_hashes_keys_with_crc32() -> None:
    p = ConsistentRandomPartitioner(rng=random.Random(0))
    keys = [b"acct-%d" % i for i in range(200)]
    assert [p.partition("t", k, 6, 10) for k in keys] == [zlib.crc32(k) % 6 for k in keys]


def test_librdkafka_and_java_put_the_same_key_on_different_partitions() -> None:
    p = ConsistentRandomPartitioner(rng=random.Random(0))
    keys = [b"acct-%d" % i for i in range(200)]
    differ = sum(p.partition("t", k, 6, 10) != partition_for_key(k, 6) for k in keys)
    assert differ > 100


def test_consistent_random_treats_an_empty_key_like_no_key() -> None:
    p = ConsistentRandomPartitioner(rng=random.Random(4))
    assert len({p.partition("t", b"", 8, 10) for _ in range(100)}) > 1
    assert len({p.partition("t", None, 8, 10) for _ in range(100)}) > 1


def test_murmur2_random_hashes_an_empty_key_like_java() -> None:
    p = Murmur2RandomPartitioner(rng=random.Random(4))
    assert {p.partition("t", b"", 8, 10) for _ in range(20)} == {partition_for_key(b"", 8)}
    assert len({p.partition("t", None, 8, 10) for _ in range(100)}) > 1


# --- choosing by name, custom partitioners ----------------------------------------------------


@pytest.mark.parametrize("name", PARTITIONERS)
def test_every_named_partitioner_answers_in_range(name: str) -> None:
    p = make_partitioner(name, rng=random.Random(2), batch_size=200)
    assert isinstance(p, Partitioner)
    assert p.name == name
    for i in range(300):
        key = None if i % 3 else b"k%d" % i
        assert 0 <= p.partition("t", key, 7, 64) < 7


def test_unknown_partitioner_lists_the_valid_names() -> None:
    with pytest.raises(KafkaConfigurationError) as info:
        make_partitioner("uniform", rng=random.Random(0))
    for name in PARTITIONERS:
        assert name in str(info.value)


@pytest.mark.parametrize(
    "near_miss, meant",
    [("roundrobin", "round_robin"), ("Sticky", "sticky"), ("kafka_python", "kafka-python")],
)
def test_near_miss_partitioner_name_suggests_the_real_one(near_miss: str, meant: str) -> None:
    with pytest.raises(KafkaConfigurationError, match=f"did you mean '{meant}'"):
        make_partitioner(near_miss, rng=random.Random(0))


def test_custom_callable_partitioner() -> None:
    def by_first_byte(topic: str, key: bytes | None, n: int, size: int) -> int:
        return key[0] % n if key else 0

    p = make_partitioner(by_first_byte, rng=random.Random(0))
    assert isinstance(p, CallablePartitioner)
    assert p.name == "by_first_byte"
    assert p.partition("t", b"\x05", 3, 1) == 2


def test_custom_partitioner_answer_out_of_range_is_refused() -> None:
    p = make_partitioner(lambda topic, key, n, size: n, rng=random.Random(0))
    with pytest.raises(IllegalArgumentError, match="invalid partition number"):
        p.partition("t", b"k", 3, 1)


def test_a_partitioner_object_can_be_passed_as_is() -> None:
    p = make_partitioner(RoundRobinPartitioner(), rng=random.Random(0))
    assert p.name == "round_robin"
    assert [p.partition("t", None, 2, 1) for _ in range(3)] == [0, 1, 0]
