// The produce-then-consume round trip of the SASL scripts (sasl.js, oauth.js): creates `topic`, sends `count`
// records and reads them all back in `groupId` (60 s at most), logging each step as `who`.
async function roundTrip(kafka, { topic, groupId, count, who }) {
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
  console.log(`producer: sent ${count} records as ${who}`);

  const consumer = kafka.consumer({ groupId });
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
  console.log(`consumer: read all ${count} records as ${who}`);
}

module.exports = { roundTrip };
