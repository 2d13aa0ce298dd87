// What a dashboard that subscribes now is told: MQTT.js (not ISG's code) connects with MQTT v5,
// subscribes to the given filters, collects the retained messages the broker hands it, and prints
// one JSON line per topic (the last message): topic, payload, retain flag and the v5 properties.
// usage: node retained.mjs mqtt://host:port quietMillis filter...
import mqtt from 'mqtt';

const [url, quiet, ...filters] = process.argv.slice(2);
const seen = new Map();
const client = mqtt.connect(url, { protocolVersion: 5, clean: true, reconnectPeriod: 0, connectTimeout: 5000 });
let timer;
const finish = () => {
  for (const m of seen.values()) {
    process.stdout.write(JSON.stringify(m) + '\n');
  }
  client.end(true, () => process.exit(0));
};
const settle = () => {
  clearTimeout(timer);
  timer = setTimeout(finish, Number(quiet));
};
client.on('error', (e) => {
  process.stderr.write('mqtt error: ' + e.message + '\n');
  process.exit(2);
});
client.on('message', (topic, payload, packet) => {
  const p = packet.properties || {};
  seen.set(topic, {
    topic,
    payload: payload.toString('utf8'),
    retain: packet.retain,
    contentType: p.contentType ?? null,
    payloadFormatIndicator: p.payloadFormatIndicator ?? null,
  });
  settle();
});
client.on('connect', () => {
  client.subscribe(filters, { qos: 1 }, (err) => {
    if (err) {
      process.stderr.write('subscribe: ' + err.message + '\n');
      process.exit(2);
    }
    settle();
  });
});
