// kafkajs over a SASL_PLAINTEXT listener: produce and consume as one user, then a wrong password fails.
// Usage: node sasl.js HOST:PORT MECHANISM USER PASSWORD   (mechanism: plain, scram-sha-256, scram-sha-512)
const { Kafka, logLevel } = require('kafkajs');
const { roundTrip } = require('./roundtrip');

const [broker, mechanism, username, password] = process.argv.slice(2);
const topic = `kafkajs-sasl-${mechanism}`;
const count = 10;
const client = (pw) => new Kafka({
  clientId: 'brook-kafkajs-sasl', brokers: [broker], logLevel: logLevel.NOTHING,
  sasl: { mechanism, username, password: pw }, retry: { retries: 0 },
});

async function main() {
  await roundTrip(client(password), { topic, groupId: topic, count, who: `${username} (${mechanism})` });

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
