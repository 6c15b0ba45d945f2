"""The article's claims, measured: one copy versus a copy per queue; throughput and storage.

The simulator's side is exact and checked here in full. The brokers' side is checked on small
sizes (marked ``kafka`` / ``rabbitmq``); the full measurement is ``make bench-brokers``, whose
saved results the notebooks plot, and those are checked for what the plots need.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from simkafka.claims import (
    caption,
    kafka_bytes_per_reader,
    kafka_throughput,
    load_results,
    plot_bytes_per_reader,
    plot_throughput,
    rabbitmq_bytes_per_reader,
    rabbitmq_queue_figures,
    rabbitmq_throughput,
    sim_bytes_per_reader,
    table,
)
from simkafka.queue import SimQueue


def test_simulated_log_keeps_one_copy_and_fanout_queues_one_each() -> None:
    frame = sim_bytes_per_reader(range(1, 9), records=50, size=200)
    assert frame["kafka_bytes"].nunique() == 1
    assert frame["kafka_bytes"].iloc[0] > 50 * 200  # values, plus Kafka's record framing
    assert (frame["queue_bytes"] == frame["readers"] * 50 * 200).all()


def test_sim_queue_counts_message_bytes_until_acked() -> None:
    mq = SimQueue(seed=0)
    ch = mq.channel()
    ch.queue_declare("tasks")
    for body in (b"abc", b"defgh"):
        ch.basic_publish("", "tasks", body)
    method, _, _ = ch.basic_get("tasks")
    assert mq.queues().set_index("queue").loc["tasks", "message_bytes"] == 8  # unacked counts
    ch.basic_ack(method.delivery_tag)
    assert mq.queues().set_index("queue").loc["tasks", "message_bytes"] == 5


def test_saved_results_hold_what_the_notebooks_plot() -> None:
    results = load_results()
    for key in ("date", "cpu", "cores", "kafka", "rabbitmq", "librdkafka", "pika"):
        assert results["machine"][key], key
    assert results["command"] == "make bench-brokers"
    assert table(results, "kafka_throughput")["stored"].tolist() == [0, 1_500_000, 5_000_000]
    assert table(results, "rabbitmq_throughput")["stored"].tolist() == [0, 100_000, 1_000_000]
    for name in ("kafka_bytes_per_reader", "rabbitmq_bytes_per_reader"):
        assert table(results, name)["readers"].tolist() == list(range(1, 9))
    rabbit = table(results, "rabbitmq_bytes_per_reader")
    assert (rabbit["message_bytes"] == rabbit["readers"] * rabbit["value_bytes"]).all()
    assert table(results, "kafka_bytes_per_reader")["stored_bytes"].nunique() == 1


def test_plots_name_the_machine_and_versions_and_the_command() -> None:
    results = load_results()
    for draw in (plot_throughput, plot_bytes_per_reader):
        texts = [t.get_text() for t in draw(results).texts]
        assert any(caption(results["machine"]) in t and "make bench-brokers" in t for t in texts)


def test_missing_table_names_the_tables_there_are() -> None:
    with pytest.raises(KeyError, match="kafka_throughput"):
        table(load_results(), "nope")


@pytest.mark.kafka
def test_kafka_keeps_one_copy_for_every_group_and_measures_throughput(kafka_bootstrap) -> None:
    kept = kafka_bytes_per_reader(kafka_bootstrap, readers=[1, 3], records=100, size=500)
    assert kept["stored_bytes"].nunique() == 1 and kept["stored_bytes"].iloc[0] > 100 * 500
    rates = kafka_throughput(kafka_bootstrap, stored=(0, 5000, 30_000), batch=10_000, repeats=1)
    assert rates["stored"].tolist() == [0, 10_000, 30_000]  # 5000 was passed: the log had more
    assert (rates["produce_per_s"] > 0).all() and (rates["consume_per_s"] > 0).all()


@pytest.mark.rabbitmq
def test_rabbitmq_counts_a_copy_per_queue_and_deletes_them(rabbitmq_url) -> None:
    kept = rabbitmq_bytes_per_reader(rabbitmq_url, readers=[1, 3], records=100, size=500)
    assert kept["message_bytes"].tolist() == [100 * 500, 3 * 100 * 500]
    assert rabbitmq_queue_figures("simkafka-claims-") == []  # ours are gone
    rates = rabbitmq_throughput(rabbitmq_url, depths=(0, 2000), batch=1000, repeats=1)
    assert (rates["produce_per_s"] > 0).all() and (rates["consume_per_s"] > 0).all()


@pytest.mark.kafka
@pytest.mark.rabbitmq
@pytest.mark.slow
def test_bench_brokers_writes_the_results_the_notebooks_plot(
    kafka_bootstrap, rabbitmq_url, tmp_path, monkeypatch
) -> None:
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "brokers.py"
    spec = importlib.util.spec_from_file_location("bench_brokers", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    monkeypatch.setitem(bench.QUICK, "readers", (1, 2))
    out = tmp_path / "claims.json"
    assert bench.main(["--quick", "--out", str(out)]) == 0
    results = load_results(out)
    assert table(results, "kafka_throughput")["stored"].tolist() == [0, 100_000]
    assert table(results, "rabbitmq_bytes_per_reader")["message_bytes"].tolist() == [
        200 * 1000,
        2 * 200 * 1000,
    ]
    plot_throughput(results)
    plot_bytes_per_reader(results)
