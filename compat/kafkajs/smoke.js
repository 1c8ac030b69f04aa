// kafkajs against Brook: admin, an idempotent producer, and a consumer group run loop.
// Usage: node smoke.js HOST:PORT   (exit code 0 on success; one line per step on stdout)
// With BROOK_SSL_CA=<PEM file> it connects over TLS, trusting that CA; with BROOK_SASL_MECHANISM (plain,
// scram-sha-256, scram-sha-512), BROOK_SASL_USER and BROOK_SASL_PASSWORD it authenticates with SASL.
const fs = require('fs');
const { Kafka, logLevel } = require('kafkajs');

const broker = process.argv[2] || 'localhost:9092';
const ssl = process.env.BROOK_SSL_CA ? { ca: [fs.readFileSync(process.env.BROOK_SSL_CA, 'utf-8')] } : undefined;
const sasl = process.env.BROOK_SASL_MECHANISM ? {
  mechanism: process.env.BROOK_SASL_MECHANISM,
  username: process.env.BROOK_SASL_USER,
  password: process.env.BROOK_SASL_PASSWORD,
} : undefined;
const kafka = new Kafka({ clientId: 'brook-kafkajs', brokers: [broker], logLevel: logLevel.WARN, ssl, sasl });
const topic = 'kafkajs-smoke';
const count = 50;

async function main() {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  const topics = await admin.listTopics();
  if (!topics.includes(topic)) throw new Error(`created topic missing from ${topics}`);
  console.log('admin: created and listed', topic);

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const messages = [];
  for (let i = 0; i < count; i++) {
    messages.push({ key: `k${i % 5}`, value: `v${i}`, headers: { source: 'kafkajs' } });
  }
  await producer.send({ topic, messages });
  await producer.disconnect();
  console.log('producer: sent', count, 'idempotent records');

  const consumer = kafka.consumer({ groupId: 'kafkajs-group' });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = new Set();
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${seen.size} of ${count} records consumed`)), 60000);
    consumer.run({
      eachMessage: async ({ message }) => {
        if (message.headers.source.toString() !== 'kafkajs') reject(new Error('header lost'));
        seen.add(message.value.toString());
        if (seen.size === count) {
          clearTimeout(timer);
          resolve();
        }
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  console.log('consumer: group read all', seen.size, 'records');

  const offsets = await admin.fetchOffsets({ groupId: 'kafkajs-group', topics: [topic] });
  const committed = offsets[0].partitions.reduce((sum, p) => sum + Number(p.offset), 0);
  if (committed !== count) throw new Error(`committed offsets add up to ${committed}, not ${count}`);
  console.log('admin: committed offsets add up to', committed);

  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
  console.log('admin: deleted', topic);
}

main().then(() => process.exit(0)).catch((e) => {
  console.error('kafkajs smoke failed:', e);
  process.exit(1);
});
