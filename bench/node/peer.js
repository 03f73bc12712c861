// The peer a team would otherwise pick: the Node `web-push` library sending
// the same messages (exported by `bench dispatch`) to the same loopback sink,
// 64 in flight like the dispatcher's batch.
//
// web-push's sendNotification() only speaks HTTPS, so the request is built
// by the library's own generateRequestDetails() (encryption and VAPID, as
// sendNotification does) and sent over plain HTTP with a keep-alive agent,
// like the Rust sender.
//
//   node peer.js JOBS.jsonl [concurrency] [pushes]
//
// `pushes` sends only the first so many messages: the peer's rate is steady
// after a few thousand, and the whole file would take it minutes.
'use strict';
const fs = require('fs');
const http = require('http');
const webpush = require('web-push');

const file = process.argv[2];
const concurrency = Number(process.argv[3] || 64);
const vapid = JSON.parse(fs.readFileSync(file + '.vapid.json', 'utf8'));
const limit = Number(process.argv[4] || Infinity);
const jobs = fs.readFileSync(file, 'utf8').trim().split('\n').slice(0, limit).map((l) => JSON.parse(l));
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

let next = 0;
let delivered = 0;
let failed = 0;

function send(job) {
  const details = webpush.generateRequestDetails(
    { endpoint: job.endpoint, keys: { p256dh: job.p256dh, auth: job.auth } },
    job.payload,
    {
      vapidDetails: { subject: vapid.subject, publicKey: vapid.publicKey, privateKey: vapid.privateKey },
      TTL: job.ttl,
      topic: job.topic || undefined,
      urgency: job.urgency,
      contentEncoding: 'aes128gcm',
    },
  );
  const url = new URL(details.endpoint);
  return new Promise((resolve) => {
    const req = http.request(
      { hostname: url.hostname, port: url.port, path: url.pathname, method: details.method, headers: details.headers, agent },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 201) delivered += 1;
          else failed += 1;
          resolve();
        });
      },
    );
    req.on('error', () => {
      failed += 1;
      resolve();
    });
    req.end(details.body);
  });
}

async function worker() {
  while (next < jobs.length) {
    const job = jobs[next];
    next += 1;
    await send(job);
  }
}

(async () => {
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  agent.destroy();
  console.log(`node_pushes=${delivered} node_failed=${failed} node_seconds=${seconds.toFixed(2)} node_pushes_per_s=${(delivered / seconds).toFixed(1)}`);
})();
