// kafkajs consume-transform-produce inside a live consumer group: a group member's eachBatch begins a
// transaction, sends the transformed records, commits the input offsets with sendOffsets (TxnOffsetCommit
// v1, which carries no member id or generation) and commits. The group has a live member throughout.
// Usage: node ctp.js HOST:PORT COUNT   (exit code 0 on success; one line per step on stdout)
const { Kafka, logLevel } = require('kafkajs');

const broker = process.argv[2] || 'localhost:9092';
const count = Number(process.argv[3] || 20);
const kafka = new Kafka({ clientId: 'brook-kafkajs-ctp', brokers: [broker], logLevel: logLevel.WARN });
const input = 'kafkajs-ctp-in';
const output = 'kafkajs-ctp-out';
const groupId = 'kafkajs-ctp-group';
const DEADLINE_MS = 60000;

async function main() {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: input, numPartitions: 2 }, { topic: output, numPartitions: 1 }],
    waitForLeaders: true });
  const plain = kafka.producer();
  await plain.connect();
  const messages = [];
  for (let i = 0; i < count; i++) messages.push({ key: `k${i}`, value: `v${i}` });
  await plain.send({ topic: input, messages });
  await plain.disconnect();
  console.log(`producer: wrote ${count} input records`);

  const producer = kafka.producer({ transactionalId: 'kafkajs-ctp-tx', idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = kafka.consumer({ groupId, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic: input, fromBeginning: true });
  let transformed = 0;
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${transformed} of ${count} records transformed`)),
      DEADLINE_MS);
    consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const txn = await producer.transaction();
        try {
          await txn.send({ topic: output,
            messages: batch.messages.map((m) => ({ key: m.key, value: m.value.toString().toUpperCase() })) });
          const next = (BigInt(batch.lastOffset()) + 1n).toString();
          await txn.sendOffsets({ consumerGroupId: groupId,
            topics: [{ topic: input, partitions: [{ partition: batch.partition, offset: next }] }] });
          await txn.commit();
        } catch (e) {
          await txn.abort();
          throw e;
        }
        transformed += batch.messages.length;
        if (transformed >= count) {
          clearTimeout(timer);
          resolve();
        }
      },
    }).catch(reject);
  });
  console.log(`member: transformed ${transformed} records in transactions`);

  const offsets = await admin.fetchOffsets({ groupId, topics: [input] });
  const ends = await admin.fetchTopicOffsets(input);
  for (const p of offsets[0].partitions) {
    const end = ends.find((e) => e.partition === p.partition).high;
    if (p.offset !== end) throw new Error(`partition ${p.partition}: committed ${p.offset}, end ${end}`);
  }
  console.log('admin: the group committed every input offset through the transactions');
  await consumer.disconnect();
  await producer.disconnect();
  await admin.disconnect();
}

main().then(() => process.exit(0)).catch((e) => {
  console.error('kafkajs consume-transform-produce failed:', e);
  process.exit(1);
});
