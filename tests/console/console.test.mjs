// Browser test of the clinician console: a real `aftercare serve` on a free
// loopback port with a temporary SQLite file, seeded through the CLI and the
// JSON API, then driven in headless Chromium: sign in, see the urgent flag at
// the top of the queue, open the patient, see the charts, acknowledge and
// resolve the flag. Screenshots go to tests/console/screenshots/.
//
// AFTERCARE_BIN names the binary (run.sh builds it); CHROMIUM overrides
// /usr/bin/chromium.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = process.env.AFTERCARE_BIN ?? resolve(here, '../../target/debug/aftercare');
const SHOTS = join(here, 'screenshots');
const ADMIN = { email: 'admin@glow.example', password: 'admin password for the test' };
const DOC = { email: 'doc@glow.example', password: 'clinician password 1', name: 'Dr Ada Browser' };
const URGENT_PATIENT = 'Robin Urgent';
const ROUTINE_PATIENT = 'Sam Routine';

let dir, server, base, browser, urgentId, flagId;
let serverLog = '';

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
  return p.id;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aftercare-console-'));
  const env = { ...process.env, DATABASE_URL: join(dir, 'aftercare.db'), RUST_LOG: 'warn' };
  const created = spawnSync(BIN, ['clinic', 'create', '--name', 'Glow Clinic',
    '--admin-email', ADMIN.email, '--password-stdin'], { env, input: ADMIN.password + '\n' });
  assert.equal(created.status, 0, `clinic create: ${created.stderr}`);

  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ['serve'], { env: { ...env, AFTERCARE_BIND: `127.0.0.1:${port}` } });
  server.stdout.on('data', (d) => { serverLog += d; });
  server.stderr.on('data', (d) => { serverLog += d; });
  for (let i = 0; ; i++) {
    try { if ((await fetch(`${base}/healthz`)).ok) break; } catch { /* not up yet */ }
    if (i > 100 || server.exitCode !== null) throw new Error(`server did not start:\n${serverLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  const admin = await login(ADMIN);
  await api('POST', '/v1/staff', admin, { email: DOC.email, name: DOC.name, role: 'clinician', password: DOC.password });
  const doc = await login(DOC);
  // The routine flag is older, so only severity can put the urgent one first.
  await patientWithLog(doc, ROUTINE_PATIENT, ['white_bumps']);
  urgentId = await patientWithLog(doc, URGENT_PATIENT, ['pus']);
  const queue = await api('GET', '/v1/flags?severity=urgent', doc);
  flagId = queue.items.find((f) => f.patient_id === urgentId).id;

  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a clinician signs in, finds the urgent flag first, reviews the chart and resolves the flag', async () => {
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

  const rows = page.locator('table.queue tbody tr');
  assert.equal(await rows.count(), 2);
  const top = rows.first();
  assert.match(await top.innerText(), /Urgent/);
  assert.match(await top.innerText(), new RegExp(URGENT_PATIENT));
  assert.match(await rows.nth(1).innerText(), new RegExp(ROUTINE_PATIENT));
  const css = await top.locator('.severity').evaluate((e) => getComputedStyle(e).fontWeight);
  assert.equal(css, '700', 'the stylesheet loaded');
  await page.screenshot({ path: join(SHOTS, 'queue.png'), fullPage: true });

  await top.getByRole('link', { name: URGENT_PATIENT }).click();
  await page.waitForURL(new RegExp(`/console/patients/${urgentId}$`));
  const charts = page.locator('svg.chart-svg');
  assert.equal(await charts.count(), 4);
  const redness = page.locator('svg.chart-redness');
  assert.ok(await redness.isVisible());
  assert.equal(await redness.locator('polygon.band').count(), 1);
  assert.equal(await redness.locator('polyline.expected').count(), 1);
  assert.equal(await redness.locator('.logged').count(), 2, 'both logged days are drawn');
  const box = await redness.boundingBox();
  assert.ok(box.width > 200 && box.height > 100, `chart is drawn at a readable size: ${JSON.stringify(box)}`);
  assert.match(await page.locator('table.logs').innerText(), /Pus/);
  await page.screenshot({ path: join(SHOTS, 'patient.png'), fullPage: true });

  const flag = page.locator(`#flag-${flagId}`);
  assert.match(await flag.innerText(), /Urgent/);
  assert.match(await flag.innerText(), /Open/);
  await flag.getByLabel('Note (optional)').fill('Called the patient; photo requested');
  await flag.getByRole('button', { name: 'Acknowledge' }).click();
  await page.waitForURL(new RegExp(`/console/patients/${urgentId}$`));
  assert.match(await page.locator(`#flag-${flagId} h4`).innerText(), /Acknowledged/);

  await page.locator(`#flag-${flagId}`).getByLabel('Resolution note').fill('Seen in clinic; treated');
  await page.locator(`#flag-${flagId}`).getByRole('button', { name: 'Resolve' }).click();
  await page.waitForURL(new RegExp(`/console/patients/${urgentId}$`));
  const resolved = await page.locator(`#flag-${flagId}`).innerText();
  assert.match(resolved, /Resolved/);
  assert.match(resolved, /Acknowledged by Dr Ada Browser/);
  assert.match(resolved, /Resolved by Dr Ada Browser.*Seen in clinic; treated/s);
  assert.equal(await page.locator(`#flag-${flagId} form`).count(), 0, 'no review forms once resolved');
  await page.screenshot({ path: join(SHOTS, 'patient-resolved.png'), fullPage: true });

  // The queue's default view (open or acknowledged) no longer lists it.
  await page.getByRole('link', { name: 'Flags' }).click();
  assert.doesNotMatch(await page.locator('main').innerText(), new RegExp(URGENT_PATIENT));

  // A tablet-width viewport still shows the charts side by side or stacked, unclipped.
  await page.setViewportSize({ width: 768, height: 1024 });
  await page.goto(`${base}/console/patients/${urgentId}`);
  const narrow = await page.locator('svg.chart-redness').boundingBox();
  assert.ok(narrow.x >= 0 && narrow.x + narrow.width <= 768, `chart fits: ${JSON.stringify(narrow)}`);

  assert.deepEqual(foreign, []);
  assert.deepEqual(cspErrors, []);
  await context.close();
});
