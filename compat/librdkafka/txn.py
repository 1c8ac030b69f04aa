#!/usr/bin/env python3
"""librdkafka transactions against Brook, through Debian's python3-confluent-kafka.

A transactional producer commits one transaction and aborts another (both flushed to the
broker); a read_committed consumer must then see exactly the committed records.
Usage: txn.py HOST:PORT TOPIC   (exit code 0 on success; one line per step on stdout)
"""
import sys

from confluent_kafka import Consumer, Producer, TopicPartition

broker, topic = sys.argv[1], sys.argv[2]

producer = Producer({'bootstrap.servers': broker, 'transactional.id': 'librdkafka-tx'})
producer.init_transactions(30)
producer.begin_transaction()
for i in range(3):
    producer.produce(topic, key=b'k%d' % i, value=b'committed-%d' % i)
producer.commit_transaction(30)
producer.begin_transaction()
for i in range(2):
    producer.produce(topic, key=b'a%d' % i, value=b'aborted-%d' % i)
producer.flush(30)
producer.abort_transaction(30)
print('producer: committed 1 transaction and aborted 1', flush=True)

consumer = Consumer({'bootstrap.servers': broker, 'group.id': 'librdkafka-txn-reader',
                     'isolation.level': 'read_committed', 'enable.auto.commit': False})
consumer.assign([TopicPartition(topic, 0, 0)])
seen = []
empty_polls = 0
while empty_polls < 10:
    message = consumer.poll(0.5)
    if message is None or message.error():
        empty_polls += 1
        continue
    seen.append(message.value().decode())
consumer.close()
expected = ['committed-0', 'committed-1', 'committed-2']
if seen != expected:
    print('read_committed consumer saw %s, expected %s' % (seen, expected), flush=True)
    sys.exit(1)
print('consumer: read_committed saw exactly the 3 committed records', flush=True)
