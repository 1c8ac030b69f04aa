// kafkajs against a Brook cluster before and after a leader change: produces with acks=-1 (all in-sync replicas) to
// a replicated topic and reads the whole topic back in a consumer group (a new group each time it is run).
// Usage: node replicated.js HOST:PORT[,HOST:PORT...] TOPIC EXPECTED_TOTAL [GROUP]   (exit code 0 on success)
const { Kafka, logLevel } = require('kafkajs');

const brokers = (process.argv[2] || 'localhost:9092').split(',');
const topic = process.argv[3];
const expected = Number(process.argv[4]);
const groupId = process.argv[5] || 'kafkajs-replicated';
const count = 10;
const kafka = new Kafka({ clientId: 'brook-kafkajs-replicated', brokers, logLevel: logLevel.WARN,
  retry: { retries: 10 } });

async function main() {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const messages = [];
  for (let i = 0; i < count; i++) messages.push({ value: `kafkajs-${i}` });
  await producer.send({ topic, acks: -1, messages });
  await producer.disconnect();
  console.log('producer: acks=all sent', count, 'records');

  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = [];
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${seen.length} of ${expected} records consumed`)), 60000);
    consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.value.toString());
        if (seen.length === expected) {
          clearTimeout(timer);
          resolve();
        }
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  console.log('consumer: read all', seen.length, 'records:', seen.join(' '));
}

main().then(() => process.exit(0)).catch((e) => {
  console.error('kafkajs replicated failed:', e);
  process.exit(1);
});
