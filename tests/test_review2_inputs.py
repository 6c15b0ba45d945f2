"""Review 2: wrong inputs should fail with one clear message (verified bugs)."""

import pytest

from simkafka import experiments as E


def test_negative_event_count_is_refused_by_groups_read_everything():
    # Today groups_read_everything("sim", -5) returns a frame with summary events=-5 and
    # groups_with_everything=0, teaching nothing. Expected: ValueError naming n_events,
    # like log_versus_queue and retention_and_replay do for their bad counts.
    with pytest.raises(ValueError, match="n_events"):
        E.groups_read_everything("sim", -5)


def test_negative_n_events_message_names_n_events():
    # redelivery_after_crash("sim", -1, 0) raises "commit_after must be between 0 and
    # n_events, got 0": it blames commit_after (which is fine) instead of n_events=-1.
    # Expected: the message names the bad argument n_events.
    with pytest.raises(ValueError, match=r"n_events.*-1"):
        E.redelivery_after_crash("sim", -1, 0)


def test_backend_that_is_no_cluster_is_a_value_error():
    # open_backend documents "a cluster, 'sim' or 'kafka'" and raises ValueError for an
    # unknown string, but passes any other object through: keyed_routing(42, ...) fails
    # with AttributeError "'int' object has no attribute 'admin'". Expected the same
    # one-line ValueError as for an unknown string.
    with pytest.raises(ValueError, match="backend must be"):
        E.keyed_routing(42, ["acct-1"], 3)
