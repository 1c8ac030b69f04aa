// One kafkajs member of a consumer group shared with other clients (Java, librdkafka).
// Usage: node member.js HOST:PORT GROUP TOPIC
// Uses a "range" assigner (the protocol name the Java consumer and librdkafka also offer), prints
// "assigned <partitions>" after every rebalance and "record <value>" per record, runs until killed.
const { Kafka, logLevel, AssignerProtocol: { MemberMetadata, MemberAssignment } } = require('kafkajs');

const [broker, groupId, topic] = process.argv.slice(2);
const kafka = new Kafka({ clientId: 'brook-kafkajs-member', brokers: [broker], logLevel: logLevel.WARN });

// Kafka's range assignment: per topic, members sorted by id take consecutive partition ranges.
const RangeAssigner = ({ cluster }) => ({
  name: 'range',
  version: 0,
  protocol({ topics }) {
    return { name: 'range', metadata: MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
  },
  async assign({ members }) {
    const subscribers = {};
    for (const m of members) {
      for (const t of MemberMetadata.decode(m.memberMetadata).topics) {
        (subscribers[t] = subscribers[t] || []).push(m.memberId);
      }
    }
    const plan = Object.fromEntries(members.map((m) => [m.memberId, {}]));
    for (const [t, ids] of Object.entries(subscribers)) {
      ids.sort();
      const partitions = cluster.findTopicPartitionMetadata(t).map((p) => p.partitionId).sort((a, b) => a - b);
      const per = Math.floor(partitions.length / ids.length);
      const extra = partitions.length % ids.length;
      let next = 0;
      ids.forEach((id, i) => {
        const n = per + (i < extra ? 1 : 0);
        plan[id][t] = partitions.slice(next, next + n);
        next += n;
      });
    }
    return members.map((m) => ({
      memberId: m.memberId,
      memberAssignment: MemberAssignment.encode({ version: 0, assignment: plan[m.memberId], userData: Buffer.alloc(0) }),
    }));
  },
});

async function main() {
  const consumer = kafka.consumer({ groupId, partitionAssigners: [RangeAssigner], sessionTimeout: 10000 });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const mine = payload.memberAssignment[topic] || [];
    console.log('assigned', JSON.stringify(mine));
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => console.log('record', message.value.toString()) });
  const stop = () => consumer.disconnect().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => {
  console.error('kafkajs member failed:', e);
  process.exit(1);
});
