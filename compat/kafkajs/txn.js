// kafkajs transactions against Brook: a transactional producer commits one transaction and
// aborts another; a read_committed consumer (kafkajs reads committed by default) must see only the
// committed records, and sendOffsets commits a group's offsets inside a transaction.
// Usage: node txn.js HOST:PORT   (exit code 0 on success; one line per step on stdout)
const { Kafka, logLevel } = require('kafkajs');

const broker = process.argv[2] || 'localhost:9092';
const kafka = new Kafka({ clientId: 'brook-kafkajs-txn', brokers: [broker], logLevel: logLevel.WARN });
const topic = 'kafkajs-txn';

async function main() {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });

  const producer = kafka.producer({ transactionalId: 'kafkajs-tx', idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const committed = await producer.transaction();
  await committed.send({ topic, messages: [{ key: 'a', value: 'committed-1' }, { key: 'b', value: 'committed-2' }] });
  await committed.sendOffsets({ consumerGroupId: 'kafkajs-txn-group', topics: [{ topic, partitions: [{ partition: 0, offset: '1' }] }] });
  await committed.commit();
  const aborted = await producer.transaction();
  await aborted.send({ topic, messages: [{ key: 'a', value: 'aborted-1' }, { key: 'b', value: 'aborted-2' }] });
  await aborted.abort();
  const last = await producer.transaction();
  await last.send({ topic, messages: [{ key: 'c', value: 'committed-3' }] });
  await last.commit();
  await producer.disconnect();
  console.log('producer: committed 2 transactions and aborted 1');

  const offsets = await admin.fetchOffsets({ groupId: 'kafkajs-txn-group', topics: [topic] });
  const p0 = offsets[0].partitions.find((p) => p.partition === 0);
  if (p0.offset !== '1') throw new Error(`the transaction's offset commit is ${p0.offset}, not 1`);
  console.log('admin: offsets committed in the transaction are visible');

  const consumer = kafka.consumer({ groupId: 'kafkajs-txn-reader', readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = [];
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(), 8000); // then check nothing aborted arrived
    consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.value.toString());
        if (seen.length > 3) {
          clearTimeout(timer);
          resolve();
        }
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  seen.sort();
  if (JSON.stringify(seen) !== JSON.stringify(['committed-1', 'committed-2', 'committed-3'])) {
    throw new Error(`read_committed consumer saw ${JSON.stringify(seen)}`);
  }
  console.log('consumer: read_committed saw exactly the 3 committed records');
  await admin.disconnect();
}

main().then(() => process.exit(0)).catch((e) => {
  console.error('kafkajs transactions failed:', e);
  process.exit(1);
});
