#!/usr/bin/env python3
"""KIP-467 record errors through librdkafka: one batch of RECORDS records to a compacted topic, every
tenth without a key. The broker refuses the batch and names the keyless records; librdkafka then fails
exactly those with INVALID_RECORD and the others with _INVALID_DIFFERENT_RECORD.
Prints one line: "delivery: NAME=COUNT ..." sorted by name.
Usage: record_errors.py HOST:PORT TOPIC RECORDS
"""
import sys

from confluent_kafka import Producer

broker, topic, records = sys.argv[1], sys.argv[2], int(sys.argv[3])
outcomes = {}


def delivered(err, message):
    name = 'OK' if err is None else err.name()
    outcomes[name] = outcomes.get(name, 0) + 1


producer = Producer({'bootstrap.servers': broker, 'linger.ms': 500, 'batch.num.messages': records,
                     'enable.idempotence': False, 'retries': 0})
for i in range(records):
    producer.produce(topic, key=None if i % 10 == 0 else b'k%d' % i, value=b'v%d' % i, partition=0,
                     on_delivery=delivered)
remaining = producer.flush(30)
if remaining:
    sys.exit('%d records were never reported' % remaining)
print('delivery: ' + ' '.join('%s=%d' % kv for kv in sorted(outcomes.items())), flush=True)
