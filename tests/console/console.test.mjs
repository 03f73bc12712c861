// Browser test of the clinician console: a real `aftercare serve` on a free
// loopback port with a temporary SQLite file, seeded through the CLI and the
// JSON API, then driven in headless Chromium: sign in, see the grouped queue
// with the urgent patient on top, open the flag page, the patient and the
// charts, acknowledge and resolve the flag (a missing note shows its error);
// turn on browser notifications, receive the alert of a new urgent flag at a
// loopback push service, and open the flag page from the alert's link; and
// once more in Turkish: a clinician whose account reads Turkish signs in from
// a Turkish browser, works a flag in Turkish pages with Turkish dates and
// decimals, and switches the console to English.
// Screenshots go to tests/console/screenshots/.
//
// AFTERCARE_BIN names the binary (run.sh builds it); CHROMIUM overrides
// /usr/bin/chromium.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createECDH, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { deflateSync } from 'node:zlib';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = process.env.AFTERCARE_BIN ?? resolve(here, '../../target/debug/aftercare');
const SHOTS = join(here, 'screenshots');
const ADMIN = { email: 'admin@glow.example', password: 'admin password for the test' };
const DOC = { email: 'doc@glow.example', password: 'clinician password 1', name: 'Dr Ada Browser' };
const DOC_TR = { email: 'hekim@glow.example', password: 'hekim parolası 1', name: 'Dr Ayşe Işık' };
const URGENT_PATIENT = 'Robin Urgent';
const ROUTINE_PATIENT = 'Sam Routine';

let dir, server, base, browser, urgentId, flagId, urgent, pushService, pushOrigin;
let serverLog = '';
const pushes = [];
let pushArrived = () => {};

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

async function api(method, path, token, body) {
  const res = await fetch(base + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const login = async ({ email, password }) =>
  (await api('POST', '/v1/auth/login', null, { email, password })).access_token;

// The browser's side of Web Push (RFC 8291): a P-256 key pair and an auth
// secret, so the test can read what the server pushes to the "browser".
const browserKey = createECDH('prime256v1');
browserKey.generateKeys();
const authSecret = randomBytes(16);

/// Decrypts one aes128gcm push message (RFC 8188 with RFC 8291 keys).
function decryptPush(body) {
  const salt = body.subarray(0, 16);
  const idlen = body[20];
  const serverKey = body.subarray(21, 21 + idlen);
  const sealed = body.subarray(21 + idlen);
  const secret = browserKey.computeSecret(serverKey);
  const info = Buffer.concat([Buffer.from('WebPush: info\0'), browserKey.getPublicKey(), serverKey]);
  const ikm = Buffer.from(hkdfSync('sha256', secret, authSecret, info, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  const plain = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
  let end = plain.length - 1;
  while (end > 0 && plain[end] === 0) end--; // padding, then the 0x02 delimiter
  return JSON.parse(plain.subarray(0, end).toString('utf8'));
}

/// A loopback push service: records and decrypts what the server sends.
function startPushService() {
  return new Promise((ok) => {
    const s = createHttpServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        try {
          pushes.push({ path: req.url, headers: req.headers, payload: decryptPush(Buffer.concat(chunks)) });
          res.writeHead(201).end();
        } catch (e) {
          pushes.push({ path: req.url, error: String(e) });
          res.writeHead(400).end();
        }
        pushArrived();
      });
    });
    s.listen(0, '127.0.0.1', () => ok(s));
  });
}

async function waitForPush(ms) {
  const deadline = Date.now() + ms;
  while (pushes.length === 0 && Date.now() < deadline) {
    await new Promise((r) => { pushArrived = r; setTimeout(r, 200); });
  }
  return pushes[0];
}

const dayOf = (day0, n) => {
  const d = new Date(`${day0}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
};

/// A w × h PNG of one colour (RGB), made with zlib: a patient's photo.
function png(w, h, rgb) {
  const crc32 = (buf) => {
    let c = ~0;
    for (const b of buf) {
      c ^= b;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    }
    return ~c >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: w }, () => rgb).flat())]);
  const raw = Buffer.concat(Array.from({ length: h }, () => row));
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/// A patient with a treatment 3 days ago and a day-1 log with `signs`.
async function patientWithLog(doc, name, signs) {
  const email = `${name.toLowerCase().replace(' ', '.')}@mail.example`;
  const p = await api('POST', '/v1/patients', doc, { name, email, timezone: 'Europe/Berlin', fitzpatrick: 3 });
  const performed = new Date(Date.now() - 3 * 86400e3).toISOString();
  const t = await api('POST', `/v1/patients/${p.id}/treatments`, doc, {
    performed_at: performed, area: 'face', depth_mm: 1.0, addons: ['serum'], session_number: 1,
  });
  const { code } = await api('POST', `/v1/patients/${p.id}/enrolment-codes`, doc, {});
  const app = await api('POST', '/v1/auth/enrol', null, { code, password: 'patient password 1' });
  const day = (n) => {
    const d = new Date(`${t.day0}T12:00:00Z`);
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  };
  await api('PUT', `/v1/treatments/${t.id}/logs/${day(0)}`, app.access_token,
    { redness: 6, swelling: 4, flaking: 0, sensitivity: 5 });
  await api('PUT', `/v1/treatments/${t.id}/logs/${day(1)}`, app.access_token,
    { redness: 5, swelling: 3, flaking: 1, sensitivity: 4, signs, note: 'noticed this morning' });
  return { id: p.id, treatment: t, token: app.access_token };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aftercare-console-'));
  const env = { ...process.env, DATABASE_URL: join(dir, 'aftercare.db'), RUST_LOG: 'warn' };
  const created = spawnSync(BIN, ['clinic', 'create', '--name', 'Glow Clinic',
    '--admin-email', ADMIN.email, '--password-stdin'], { env, input: ADMIN.password + '\n' });
  assert.equal(created.status, 0, `clinic create: ${created.stderr}`);

  pushService = await startPushService();
  pushOrigin = `http://127.0.0.1:${pushService.address().port}`;
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ['serve'], {
    env: {
      ...env,
      AFTERCARE_BIND: `127.0.0.1:${port}`,
      // The loopback push service is plain http; deliver within a second.
      AFTERCARE_PUSH_ALLOW_INSECURE: '1',
      AFTERCARE_SCHEDULER_TICK_SECS: '1',
    },
  });
  server.stdout.on('data', (d) => { serverLog += d; });
  server.stderr.on('data', (d) => { serverLog += d; });
  for (let i = 0; ; i++) {
    try { if ((await fetch(`${base}/healthz`)).ok) break; } catch { /* not up yet */ }
    if (i > 100 || server.exitCode !== null) throw new Error(`server did not start:\n${serverLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  const admin = await login(ADMIN);
  await api('POST', '/v1/staff', admin, { email: DOC.email, name: DOC.name, role: 'clinician', password: DOC.password });
  await api('POST', '/v1/staff', admin, { email: DOC_TR.email, name: DOC_TR.name, role: 'clinician', password: DOC_TR.password });
  const me = await api('PATCH', '/v1/me', await login(DOC_TR), { locale: 'tr' });
  assert.equal(me.locale, 'tr');
  const doc = await login(DOC);
  // The routine flag is older, so only severity can put the urgent one first.
  await patientWithLog(doc, ROUTINE_PATIENT, ['white_bumps']);
  urgent = await patientWithLog(doc, URGENT_PATIENT, ['pus']);
  urgentId = urgent.id;
  // A photo of the skin on the flagged day (day 1), as the app uploads it.
  const photo = await fetch(`${base}/v1/treatments/${urgent.treatment.id}/logs/${dayOf(urgent.treatment.day0, 1)}/photos/robinDay1Photo01`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${urgent.token}`, 'content-type': 'image/png' },
    body: png(40, 30, [200, 60, 60]),
  });
  assert.equal(photo.status, 201, `photo upload: ${await photo.text()}`);
  const queue = await api('GET', '/v1/flags?severity=urgent', doc);
  flagId = queue.items.find((f) => f.patient_id === urgentId).id;
  // A second urgent reason the next day: still one row in the queue.
  await api('PUT', `/v1/treatments/${urgent.treatment.id}/logs/${dayOf(urgent.treatment.day0, 2)}`, urgent.token,
    { redness: 4, swelling: 2, flaking: 2, sensitivity: 3, signs: ['hives'] });

  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  pushService?.close();
  server?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a clinician signs in, works the grouped queue, reviews the flag page and resolves the flag', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  // Nothing may come from another host, and the CSP must not block our own.
  const foreign = [];
  page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) foreign.push(r.url()); });
  const cspErrors = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text()); });

  await page.goto(`${base}/console/`);
  assert.match(page.url(), /\/console\/sign-in$/);
  await page.getByLabel('Email').fill(DOC.email);
  await page.getByLabel('Password').fill(DOC.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/console\/flags$/);

  // One row per patient: the urgent patient's two urgent reasons share one row, on top.
  const rows = page.locator('table.queue tbody tr');
  assert.equal(await rows.count(), 2);
  const top = rows.first();
  const topText = await top.innerText();
  assert.match(topText, /Urgent/);
  assert.match(topText, new RegExp(URGENT_PATIENT));
  assert.match(topText, /Possible infection, Possible allergic reaction/);
  assert.match(topText, /Day 2/);
  assert.equal(await top.locator('a').count(), 1, 'one action per row');
  assert.equal(await top.locator('form').count(), 0, 'no review forms in the queue');
  assert.match(await rows.nth(1).innerText(), new RegExp(ROUTINE_PATIENT));
  const css = await top.locator('.severity').evaluate((e) => getComputedStyle(e).fontWeight);
  assert.equal(css, '700', 'the stylesheet loaded');
  await page.screenshot({ path: join(SHOTS, 'queue.png'), fullPage: true });

  await top.getByRole('link', { name: /Review/ }).click();
  await page.waitForURL(new RegExp(`/console/flags/${flagId}$`));
  const main = page.locator('main');
  assert.match(await main.innerText(), /Pus reported on day 1/);
  assert.match(await main.innerText(), /noticed this morning/);
  assert.doesNotMatch(await main.innerText(), /pus_or_crust|"signs"/);
  // The flagged day's photo: a thumbnail served by the console, full size on click.
  const thumb = main.locator('ul.photos img');
  assert.equal(await thumb.count(), 1, 'the day-1 photo is shown');
  assert.match(await thumb.getAttribute('alt'), /Photo of the skin/);
  await thumb.evaluate((img) => img.complete || new Promise((r) => { img.onload = r; img.onerror = r; }));
  assert.equal(await thumb.evaluate((img) => img.naturalWidth), 40, 'the thumbnail loaded');
  await page.screenshot({ path: join(SHOTS, 'flag.png'), fullPage: true });
  const [full] = await Promise.all([context.waitForEvent('page'), thumb.click()]);
  await full.waitForLoadState();
  assert.match(full.url(), new RegExp(`/console/photos/${urgent.treatment.id}/[0-9-]+/robinDay1Photo01$`));
  assert.deepEqual(
    await full.evaluate(() => [document.images.length, document.images[0]?.naturalWidth, document.images[0]?.naturalHeight]),
    [1, 40, 30],
    'the full-size photo opens',
  );
  const fullUrl = full.url();
  await full.close();
  // Signed out, the console's photo route sends the browser to sign in.
  const anonymous = await fetch(fullUrl, { redirect: 'manual' });
  assert.equal(anonymous.status, 303);

  await main.getByRole('link', { name: URGENT_PATIENT }).click();
  await page.waitForURL(new RegExp(`/console/patients/${urgentId}$`));
  const charts = page.locator('svg.chart-svg');
  assert.equal(await charts.count(), 4);
  const redness = page.locator('svg.chart-redness');
  assert.ok(await redness.isVisible());
  assert.equal(await redness.locator('polygon.band').count(), 1);
  assert.equal(await redness.locator('polyline.expected').count(), 1);
  assert.equal(await redness.locator('.logged').count(), 3, 'every logged day is drawn');
  assert.equal(await redness.locator('path.sign').count(), 2, 'days with warning signs are marked');
  const box = await redness.boundingBox();
  assert.ok(box.width >= 480 && box.height >= 240, `chart is readable on a laptop: ${JSON.stringify(box)}`);
  assert.match(await page.locator('table.logs').innerText(), /Pus/);
  await page.screenshot({ path: join(SHOTS, 'patient.png'), fullPage: true });

  await page.goto(`${base}/console/flags/${flagId}`);
  await page.getByLabel('Note (optional)').fill('Called the patient; photo requested');
  await page.getByRole('button', { name: 'Acknowledge' }).click();
  await page.waitForURL(new RegExp(`/console/flags/${flagId}$`));
  assert.match(await page.locator('h1 + dl').innerText(), /Acknowledged/);

  // A blank note: the same page comes back with the error beside the field.
  await page.getByLabel('Resolution note').fill('   ');
  await page.getByRole('button', { name: 'Resolve' }).click();
  await page.locator('#resolve-note-error').waitFor();
  assert.match(await page.locator('#resolve-note-error').innerText(), /note is required/);
  assert.match(page.url(), new RegExp(`/console/flags/${flagId}/resolve$`));
  await page.screenshot({ path: join(SHOTS, 'flag-note-missing.png'), fullPage: true });

  await page.getByLabel('Resolution note').fill('Seen in clinic; treated');
  await page.getByRole('button', { name: 'Resolve' }).click();
  await page.waitForURL(new RegExp(`/console/flags/${flagId}$`));
  const resolved = await page.locator('main').innerText();
  assert.match(resolved, /Resolved/);
  assert.match(resolved, /Acknowledged by Dr Ada Browser/);
  assert.match(resolved, /Resolved by Dr Ada Browser.*Seen in clinic; treated/s);
  assert.equal(await page.locator('main form').count(), 0, 'no review forms once resolved');

  // The queue still lists the patient for the allergic reaction, now alone in the row.
  await page.getByRole('link', { name: 'Flags' }).click();
  const after = await page.locator('table.queue tbody tr').first().innerText();
  assert.match(after, new RegExp(URGENT_PATIENT));
  assert.doesNotMatch(after, /Possible infection/);

  // A tablet-width viewport still shows the charts stacked, unclipped.
  await page.setViewportSize({ width: 768, height: 1024 });
  await page.goto(`${base}/console/patients/${urgentId}`);
  const narrow = await page.locator('svg.chart-redness').boundingBox();
  assert.ok(narrow.x >= 0 && narrow.x + narrow.width <= 768, `chart fits: ${JSON.stringify(narrow)}`);

  assert.deepEqual(foreign, []);
  assert.deepEqual(cspErrors, []);
  await context.close();
});

test('a clinician turns on notifications, gets the alert of a new urgent flag and opens it from the link', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(['notifications'], { origin: base });
  // Headless Chromium has no push service to register with (it would need
  // Google's), so the browser's PushManager hands out a subscription at our
  // loopback push service, with keys this test holds. Everything else is
  // real: the service worker, the script, the VAPID key and the server.
  await context.addInitScript(({ endpoint, p256dh, auth }) => {
    let current = null;
    PushManager.prototype.getSubscription = async () => current;
    PushManager.prototype.subscribe = async (options) => {
      const key = options && options.applicationServerKey;
      if (!options.userVisibleOnly || !key || key.byteLength !== 65 || new Uint8Array(key)[0] !== 4) {
        throw new Error('subscribe needs userVisibleOnly and the 65-byte VAPID public key');
      }
      current = {
        endpoint,
        expirationTime: null,
        toJSON: () => ({ endpoint, expirationTime: null, keys: { p256dh, auth } }),
        unsubscribe: async () => { current = null; return true; },
      };
      return current;
    };
  }, {
    endpoint: `${pushOrigin}/push/console-browser`,
    p256dh: browserKey.getPublicKey().toString('base64url'),
    auth: authSecret.toString('base64url'),
  });
  const page = await context.newPage();
  const cspErrors = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text()); });

  await page.goto(`${base}/console/sign-in`);
  await page.getByLabel('Email').fill(DOC.email);
  await page.getByLabel('Password').fill(DOC.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/console\/flags$/);

  const turnOn = page.getByRole('button', { name: 'Turn on notifications' });
  await turnOn.waitFor({ state: 'visible' });
  await turnOn.click();
  await page.locator('#notifications-status', { hasText: 'are on in this browser' }).waitFor();
  const worker = await page.evaluate(async () => {
    const reg = await navigator.serviceWorker.getRegistration('/console/');
    return reg && reg.active && reg.active.scriptURL;
  });
  assert.equal(worker, `${base}/console/sw.js`, 'the service worker is registered for the console');
  await page.screenshot({ path: join(SHOTS, 'notifications-on.png'), fullPage: true });

  // A new urgent flag is pushed to this browser's subscription.
  const doc = await login(DOC);
  const fever = await patientWithLog(doc, 'Kim Fever', ['fever']);
  const push = await waitForPush(20000);
  assert.ok(push, 'the server pushed the alert to the subscription made in the browser');
  assert.equal(push.error, undefined, push.error);
  assert.equal(push.path, '/push/console-browser');
  assert.equal(push.payload.type, 'flag');
  assert.doesNotMatch(JSON.stringify(push.payload), /Kim Fever|noticed this morning/, 'no name or note in an alert');
  const flags = await api('GET', '/v1/flags?severity=urgent', doc);
  const feverFlag = flags.items.find((f) => f.patient_id === fever.id);
  assert.equal(push.payload.url, `/console/flags/${feverFlag.id}`);

  // The alert's link opens the flag's page.
  await page.goto(base + push.payload.url);
  const main = await page.locator('main').innerText();
  assert.match(main, /Fever or chills reported on day 1/);
  assert.match(main, /Kim Fever/);
  assert.match(main, /Alert history/);
  assert.match(main, /Web Push\s+Opened\s+a staff browser/);
  await page.screenshot({ path: join(SHOTS, 'flag-from-alert.png'), fullPage: true });
  assert.deepEqual(cspErrors, []);
  await context.close();
});

test('a clinician who reads Turkish works a flag in Turkish and switches the console to English', async () => {
  const doc = await login(DOC);
  const deniz = await patientWithLog(doc, 'Deniz Acil', ['pus']);
  const flags = await api('GET', '/v1/flags?severity=urgent', doc);
  const denizFlag = flags.items.find((f) => f.patient_id === deniz.id).id;

  // A Turkish browser: the sign-in page is Turkish before anyone signs in.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'tr-TR' });
  const page = await context.newPage();
  const cspErrors = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text()); });
  await page.goto(`${base}/console/`);
  assert.equal(await page.locator('html').getAttribute('lang'), 'tr');
  await page.getByLabel('E-posta').fill(DOC_TR.email);
  await page.getByLabel('Parola').fill(DOC_TR.password);
  await page.getByRole('button', { name: 'Oturum aç' }).click();
  await page.waitForURL(/\/console\/flags$/);

  assert.equal(await page.locator('html').getAttribute('lang'), 'tr');
  assert.equal(await page.locator('h1').innerText(), 'Uyarı listesi');
  const row = page.locator('table.queue tbody tr', { hasText: 'Deniz Acil' });
  const rowText = await row.innerText();
  assert.match(rowText, /Acil/);
  assert.match(rowText, /1\. gün/);
  assert.match(await row.locator('time').innerText(), /^\d\d\.\d\d\.\d{4} \d\d:\d\d /, 'a Turkish date and time');
  await page.screenshot({ path: join(SHOTS, 'tr-queue.png'), fullPage: true });

  await row.getByRole('link', { name: /İncele/ }).click();
  await page.waitForURL(new RegExp(`/console/flags/${denizFlag}$`));
  const main = page.locator('main');
  assert.match(await main.innerText(), /1\. günde bildirildi/);
  assert.match(await main.innerText(), /1,00 mm/, 'a decimal comma');
  await page.getByLabel('Not (isteğe bağlı)').fill('Hasta arandı; fotoğraf istendi');
  await page.getByRole('button', { name: 'Onayla' }).click();
  await page.waitForURL(new RegExp(`/console/flags/${denizFlag}$`));
  assert.match(await page.locator('h1 + dl').innerText(), /Onaylandı/);
  await page.getByLabel('Çözüm notu').fill('   ');
  await page.getByRole('button', { name: 'Çözüldü olarak kapat' }).click();
  await page.locator('#resolve-note-error').waitFor();
  assert.match(await page.locator('#resolve-note-error').innerText(), /not gerekli/);
  await page.getByLabel('Çözüm notu').fill('Klinikte görüldü');
  await page.getByRole('button', { name: 'Çözüldü olarak kapat' }).click();
  await page.waitForURL(new RegExp(`/console/flags/${denizFlag}$`));
  const resolved = await page.locator('main').innerText();
  assert.match(resolved, /Çözüldü: Dr Ayşe Işık/);
  await page.screenshot({ path: join(SHOTS, 'tr-flag.png'), fullPage: true });

  await page.goto(`${base}/console/patients/${deniz.id}`);
  assert.equal(await page.locator('svg.chart-svg').count(), 4);
  assert.match(await page.locator('main').innerText(), /İyileşme grafikleri/);
  await page.screenshot({ path: join(SHOTS, 'tr-patient.png'), fullPage: true });

  // The switch keeps English on the account and comes back to this page.
  await page.getByLabel('Dil', { exact: true }).selectOption('en');
  await page.getByRole('button', { name: 'Değiştir' }).click();
  await page.waitForURL(new RegExp(`/console/patients/${deniz.id}$`));
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  assert.match(await page.locator('main').innerText(), /Recovery charts/);
  const me = await api('GET', '/v1/me', await login(DOC_TR));
  assert.equal(me.locale, 'en');
  assert.deepEqual(cspErrors, []);
  await context.close();
});
