"""The simulator experiment that test_browser_lite.py runs in Pyodide and in CPython: pure
Python (no pandas), so it runs in the offline JupyterLite site; both must print the same."""

import simkafka
from simkafka import NewTopic, SimCluster
from simkafka.formats import account_events, avro_deserializer, avro_serializer

print("acct-42 ->", simkafka.partition_for_key(b"acct-42", 3))
# Notebook 01's Avro: the site's fastavro is its pure-Python fallback; the bytes must agree.
to_avro, from_avro = avro_serializer("v1"), avro_deserializer("v1")
avro = [to_avro(event) for event in account_events()]
print("avro bytes", [len(value) for value in avro], avro[3].hex()[:24])
print("avro round trip", [from_avro(value) for value in avro] == account_events())
cluster = SimCluster(seed=0)
cluster.admin().create_topics([NewTopic("user-accounts", num_partitions=3, replication_factor=1)])
producer = cluster.producer()
for key in (b"acct-1", b"acct-2", b"acct-42", b"acct-1"):
    sent = producer.send("user-accounts", key=key, value=b"created").get()
    print(f"sent {key.decode()} p{sent.partition} o{sent.offset}")
consumer = cluster.consumer(
    "user-accounts", group_id="group-management", auto_offset_reset="earliest"
)
batches = consumer.poll(timeout_ms=1000)
got = sorted((r.partition, r.offset, r.key.decode()) for rs in batches.values() for r in rs)
print("read", got)
