#!/usr/bin/env python3
"""librdkafka's consume-transform-produce commit against Brook, through Debian's python3-confluent-kafka.

A transactional producer writes a record and sends a group's offset in the same transaction
(AddOffsetsToTxn to the transaction's coordinator, TxnOffsetCommit to the group's), then commits.
Usage: txn_offsets.py HOST:PORT TOPIC GROUP TRANSACTIONAL_ID OFFSET
(exit code 0 on success; one line per step on stdout)
"""
import sys

from confluent_kafka import Consumer, Producer, TopicPartition

broker, topic, group, transactional_id, offset = sys.argv[1:6]

consumer = Consumer({'bootstrap.servers': broker, 'group.id': group, 'enable.auto.commit': False})
producer = Producer({'bootstrap.servers': broker, 'transactional.id': transactional_id})
producer.init_transactions(60)
producer.begin_transaction()
producer.produce(topic, value=b'transformed')
producer.send_offsets_to_transaction([TopicPartition(topic, 0, int(offset))],
                                     consumer.consumer_group_metadata(), 60)
producer.commit_transaction(60)
consumer.close()
print('producer: committed a record and offset %s of group %s' % (offset, group), flush=True)
