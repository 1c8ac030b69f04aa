// kafkajs over a SASL_PLAINTEXT listener with OAUTHBEARER and unsecured JWTs (alg "none", as Kafka's
// unsecured validator takes them): produce and consume as the token's sub, then an expired token is not served.
// Usage: node oauth.js HOST:PORT TOPIC SUB
const { Kafka, logLevel } = require('kafkajs');
const { roundTrip } = require('./roundtrip');

const [broker, topic, sub] = process.argv.slice(2);
const count = 10;

const b64url = (json) => Buffer.from(JSON.stringify(json)).toString('base64url');
// the JWS compact form with an empty signature: header.payload.
const unsecuredJwt = (claims) => `${b64url({ alg: 'none' })}.${b64url(claims)}.`;
const client = (expSecondsFromNow) => new Kafka({
  clientId: 'brook-kafkajs-oauth', brokers: [broker], logLevel: logLevel.NOTHING, retry: { retries: 0 },
  sasl: {
    mechanism: 'oauthbearer',
    oauthBearerProvider: async () => {
      const now = Math.floor(Date.now() / 1000);
      return { value: unsecuredJwt({ sub, iat: now - 3600, exp: now + expSecondsFromNow }) };
    },
  },
});

async function main() {
  await roundTrip(client(3600), { topic, groupId: topic, count, who: sub });

  // kafkajs takes RFC 7628's error answer ({"status":"invalid_token"}) for a success and never acknowledges it,
  // so, as with Kafka, the refusal shows at its first request: the node closes the connection instead of serving it
  const expired = client(-600).admin();
  try {
    await expired.connect();
    const topics = await expired.listTopics();
    throw new Error(`an expired token was accepted: it listed ${topics.length} topics`);
  } catch (e) {
    if (!/SASL|[Aa]uthentication|ConnectionClosed/.test(`${e.name} ${e.message}`)) throw e;
    console.log(`expired token: refused (${e.name}: ${e.message})`);
  } finally {
    await expired.disconnect();
  }
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
