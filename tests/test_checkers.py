"""check_delivery on hand-made frames: each anomaly is found, and a clean run reports zeros."""

import pandas as pd
import pytest

from simkafka.checkers import CHECK_COLUMNS, CHECKS, anomalies, check_delivery


def produced_frame() -> pd.DataFrame:
    """Two accounts on two partitions, three events each, in send order."""
    return pd.DataFrame(
        {
            "partition": [0, 1, 0, 1, 0, 1],
            "offset": [0, 0, 1, 1, 2, 2],
            "key": ["acct-1", "acct-2"] * 3,
            "value": ["created", "created", "renamed", "renamed", "deleted", "deleted"],
        }
    )


def counts(report: pd.DataFrame) -> dict[str, int]:
    return dict(zip(report["check"], report["count"], strict=True))


def examples(report: pd.DataFrame, check: str) -> list:
    return report.set_index("check").loc[check, "examples"]


def test_a_clean_run_reports_zero_for_every_check():
    produced = produced_frame()
    # Partitions interleave differently than they were sent: still clean.
    seen = produced.iloc[[1, 3, 0, 2, 4, 5]]
    report = check_delivery(produced, seen)
    assert list(report.columns) == list(CHECK_COLUMNS)
    assert list(report["check"]) == list(CHECKS)
    assert set(report["count"]) == {0}
    assert all(e == [] for e in report["examples"])
    assert anomalies(report) == {}


def test_a_record_never_seen_is_lost():
    produced = produced_frame()
    report = check_delivery(produced, produced.iloc[[0, 1, 2, 3, 5]])
    assert anomalies(report) == {"lost": 1}
    assert examples(report, "lost") == [(0, 2)]


def test_a_record_seen_twice_is_duplicated():
    produced = produced_frame()
    seen = pd.concat([produced, produced.iloc[[4]]])  # a second delivery at the end
    report = check_delivery(produced, seen)
    # Read again at the same offset: the partition's offset also did not move forward.
    assert anomalies(report) == {"duplicated": 1, "offsets_backwards": 1}
    assert examples(report, "duplicated") == [(0, 2)]


def test_redelivery_to_a_new_member_is_a_duplicate_not_a_backward_step():
    produced = produced_frame().iloc[[0, 2, 4]]  # partition 0 only
    seen = pd.concat(
        [
            produced.iloc[[0, 1, 2]].assign(member="first"),
            produced.iloc[[1, 2]].assign(member="second"),  # re-read from committed offset 1
        ]
    )
    report = check_delivery(produced, seen)
    assert anomalies(report) == {"duplicated": 2}
    # Without the member column the group as a whole went back.
    report = check_delivery(produced, seen.drop(columns="member"))
    assert anomalies(report) == {"duplicated": 2, "offsets_backwards": 1}
    assert examples(report, "offsets_backwards") == [(0, 2, 1)]


def test_a_record_never_sent_is_unexpected():
    produced = produced_frame()
    stray = pd.DataFrame({"partition": [1], "offset": [9], "key": ["acct-9"], "value": ["x"]})
    report = check_delivery(produced, pd.concat([produced, stray]))
    assert anomalies(report) == {"unexpected": 1}
    assert examples(report, "unexpected") == [(1, 9)]


def test_a_key_seen_out_of_send_order_is_an_order_violation():
    # acct-1 moved partitions (say, partitions were added): its events are on 0 and 1,
    # and a consumer that reads partition 1 first sees "deleted" before "renamed".
    produced = pd.DataFrame(
        {
            "partition": [0, 0, 1],
            "offset": [0, 1, 0],
            "key": ["acct-1"] * 3,
            "value": ["created", "renamed", "deleted"],
        }
    )
    seen = produced.iloc[[0, 2, 1]]
    report = check_delivery(produced, seen)
    assert anomalies(report) == {"order_per_key": 1}
    assert examples(report, "order_per_key") == [("acct-1", (0, 1), (1, 0))]


def test_a_seq_column_gives_the_send_order():
    produced = produced_frame().assign(seq=[5, 4, 3, 2, 1, 0])  # sent in reverse
    report = check_delivery(produced, produced)
    assert counts(report)["order_per_key"] == 4


def test_an_offset_going_backwards_within_a_partition_is_reported():
    produced = produced_frame()
    seen = produced.iloc[[0, 2, 0, 4, 1, 3, 5]]  # seek back to offset 0 on partition 0
    report = check_delivery(produced, seen)
    assert anomalies(report) == {"duplicated": 1, "offsets_backwards": 1}
    assert examples(report, "offsets_backwards") == [(0, 1, 0)]


def test_without_offsets_records_are_identified_by_key_and_value():
    produced = produced_frame()[["key", "value"]]
    seen = produced.iloc[[0, 1, 1, 2, 3, 4]]
    report = check_delivery(produced, seen)
    assert anomalies(report) == {"lost": 1, "duplicated": 1}
    assert examples(report, "lost") == [("acct-2", "deleted")]
    assert examples(report, "duplicated") == [("acct-2", "created")]


def test_examples_are_capped_and_counts_are_not():
    produced = pd.DataFrame({"partition": [0] * 20, "offset": range(20)})
    report = check_delivery(produced, produced.iloc[:0])
    assert counts(report)["lost"] == 20
    assert len(examples(report, "lost")) == 5


def test_frames_without_identity_columns_are_refused_with_the_fix():
    with pytest.raises(ValueError, match="'partition' and 'offset'"):
        check_delivery(pd.DataFrame({"value": [1]}), pd.DataFrame({"value": [1]}))


def test_a_consumer_that_read_nothing_lost_everything():
    import pandas as pd

    from simkafka.checkers import anomalies, check_delivery

    produced = pd.DataFrame(
        {"partition": [0, 0], "offset": [0, 1], "key": [b"a", b"a"], "value": [b"1", b"2"]}
    )
    assert anomalies(check_delivery(produced, pd.DataFrame())) == {"lost": 2}
    assert anomalies(check_delivery(produced.to_dict("list"), produced)) == {}
