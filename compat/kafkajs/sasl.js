// kafkajs over a SASL_PLAINTEXT listener: produce and consume as one user, then a wrong password fails.
// Usage: node sasl.js HOST:PORT MECHANISM USER PASSWORD   (mechanism: plain, scram-sha-256, scram-sha-512)
const { Kafka, logLevel } = require('kafkajs');

const [broker, mechanism, username, password] = process.argv.slice(2);
const topic = `kafkajs-sasl-${mechanism}`;
const count = 10;
const client = (pw) => new Kafka({
  clientId: 'brook-kafkajs-sasl', brokers: [broker], logLevel: logLevel.NOTHING,
  sasl: { mechanism, username, password: pw }, retry: { retries: 0 },
});

async function main() {
  const kafka = client(password);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const messages = [];
  for (let i = 0; i < count; i++) messages.push({ value: `v${i}` });
  await producer.send({ topic, messages });
  await producer.disconnect();
  console.log(`producer: sent ${count} records as ${username} (${mechanism})`);

  const consumer = kafka.consumer({ groupId: `kafkajs-sasl-${mechanism}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = new Set();
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${seen.size} of ${count} records consumed`)), 60000);
    consumer.run({
      eachMessage: async ({ message }) => {
        seen.add(message.value.toString());
        if (seen.size === count) { clearTimeout(timer); resolve(); }
      },
    });
  });
  await consumer.disconnect();
  console.log(`consumer: read all ${count} records as ${username} (${mechanism})`);

  const wrong = client(`${password}-wrong`).admin();
  try {
    await wrong.connect();
    throw new Error('a wrong password was accepted');
  } catch (e) {
    if (!/SASL|[Aa]uthentication/.test(`${e.name} ${e.message}`)) throw e;
    console.log(`wrong password: refused (${e.name}: ${e.message})`);
  }
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
