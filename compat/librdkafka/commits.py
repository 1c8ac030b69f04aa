#!/usr/bin/env python3
"""librdkafka offset commits against Brook, for every combination of group protocol (classic, consumer),
partition ownership (subscribe, assign) and commit kind (sync, async, auto), through Debian's
python3-confluent-kafka loading the librdkafka that compat/librdkafka/build.sh built.

Each combination reads the whole topic in a group of its own, commits, and prints one line:
  commit PROTOCOL MODE KIND: ok | failed: REASON
Usage: commits.py HOST:PORT TOPIC PARTITIONS RECORDS   (exit code 0 once every line is printed)
"""
import sys
import time

from confluent_kafka import Consumer, KafkaException, TopicPartition

broker, topic, partitions, records = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
DEADLINE_S = 30
RUN = int(time.time() * 1000)


def read_all(consumer):
    """Reads until every record of the topic was seen once; returns the next offset per partition."""
    seen = {}
    deadline = time.time() + DEADLINE_S
    while sum(seen.values()) < records:
        if time.time() > deadline:
            raise RuntimeError('read %d of %d records' % (sum(seen.values()), records))
        message = consumer.poll(0.2)
        if message is None:
            continue
        if message.error():
            raise KafkaException(message.error())
        seen[message.partition()] = seen.get(message.partition(), 0) + 1
    return seen


def committed(group):
    """The group's committed offsets, read by a consumer that never joins it."""
    reader = Consumer({'bootstrap.servers': broker, 'group.id': group, 'enable.auto.commit': False})
    try:
        found = reader.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
        return {tp.partition: tp.offset for tp in found if tp.offset >= 0}
    finally:
        reader.close()


def run(protocol, mode, kind):
    group = 'librdkafka-%s-%s-%s-%d' % (protocol, mode, kind, RUN)
    results = []
    config = {'bootstrap.servers': broker, 'group.id': group, 'group.protocol': protocol,
              'auto.offset.reset': 'earliest', 'enable.auto.commit': kind == 'auto',
              'auto.commit.interval.ms': 200, 'on_commit': lambda err, tps: results.append((err, tps))}
    if protocol == 'classic':
        config['session.timeout.ms'] = 10000
    consumer = Consumer(config)
    try:
        if mode == 'subscribe':
            consumer.subscribe([topic])
        else:
            consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        seen = read_all(consumer)
        if kind == 'sync':
            for tp in consumer.commit(asynchronous=False):
                if tp.error:
                    raise KafkaException(tp.error)
        elif kind == 'async':
            consumer.commit(asynchronous=True)
        deadline = time.time() + DEADLINE_S
        while kind != 'sync' and not results and time.time() < deadline:  # the callback tells the outcome
            consumer.poll(0.1)
        if kind != 'sync' and not results:
            raise RuntimeError('no commit was reported within %d s' % DEADLINE_S)
        for err, tps in results:
            if err is not None:
                raise KafkaException(err)
            for tp in tps:
                if tp.error:
                    raise KafkaException(tp.error)
    finally:
        consumer.close()
    found = committed(group)
    if found != seen:
        raise RuntimeError('committed %s, read %s' % (found, seen))


for protocol in ('classic', 'consumer'):
    for mode in ('subscribe', 'assign'):
        for kind in ('sync', 'async', 'auto'):
            try:
                run(protocol, mode, kind)
                print('commit %s %s %s: ok' % (protocol, mode, kind), flush=True)
            except Exception as e:  # one line per combination, whatever went wrong
                print('commit %s %s %s: failed: %s' % (protocol, mode, kind, e), flush=True)
