// End-to-end: a fan and an organizer drive the real app in Debian's Chromium (playwright-core).
//
//   E2E_URL=http://127.0.0.1:8000 npm run e2e     # against a running `ticketing serve --demo`
//   npm run e2e                                    # starts ../target/debug/ticketing itself
//
// Env: E2E_URL (base URL; when unset the script starts the binary E2E_BINARY, default
// ../target/debug/ticketing, on E2E_PORT, default 8611, with demo data and a fresh data dir),
// E2E_OUT (screenshots, default ../target/e2e), E2E_ADMIN_EMAIL / E2E_ADMIN_PASSWORD,
// E2E_STRICT=1 (a missing booking service fails the run instead of being reported and skipped),
// E2E_SHORT_TTL_URL (a server started with a short TTL_SECS for the expired-hold scenario; the
// script starts one itself when it starts the binary).
// Exits non-zero on failure, after a screenshot of every open page (failure-*.png).
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const webDir = path.resolve(here, '..');
const OUT = path.resolve(process.env.E2E_OUT ?? path.join(webDir, '..', 'target', 'e2e'));
const STRICT = process.env.E2E_STRICT === '1';
const ADMIN_EMAIL = process.env.E2E_ADMIN_EMAIL ?? 'admin@example.com';
const ADMIN_PASSWORD = process.env.E2E_ADMIN_PASSWORD ?? 'adminpass1';
const WIDTHS = { phone: { width: 375, height: 812 }, laptop: { width: 1280, height: 900 } };
mkdirSync(OUT, { recursive: true });

const results = [];
const servers = [];
const pages = new Set();
let browser;

function log(...a) {
  console.log('[e2e]', ...a);
}
function pass(name) {
  results.push({ name, status: 'passed' });
  log(`PASS ${name}`);
}
function skip(name, why) {
  results.push({ name, status: 'skipped', why });
  log(`SKIP ${name}: ${why}`);
}
class Skip extends Error {}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// ---- server ---------------------------------------------------------------------------------------

async function waitFor(url, ms = 30000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}

async function startServer(port, extraEnv = {}) {
  const bin = path.resolve(process.env.E2E_BINARY ?? path.join(webDir, '..', 'target', 'debug', 'ticketing'));
  assert(existsSync(bin), `no E2E_URL and no binary at ${bin}: build it or set E2E_URL`);
  assert(existsSync(path.join(webDir, 'dist', 'index.html')), 'web/dist is missing: run `npm run build` first');
  const data = mkdtempSync(path.join(tmpdir(), 'ticketing-e2e-'));
  const child = spawn(bin, ['serve', '--demo'], {
    cwd: data,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      TICKETING_BIND: '127.0.0.1',
      TICKETING_PORT: String(port),
      TICKETING_DATA_DIR: data,
      TICKETING_WEB_DIR: path.join(webDir, 'dist'),
      TICKETING_RATE_LIMIT_PER_MINUTE: '0',
      TICKETING_ADMIN_EMAIL: ADMIN_EMAIL,
      TICKETING_ADMIN_PASSWORD: ADMIN_PASSWORD,
      ...extraEnv,
    },
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  servers.push({ child, data });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`${base}/health`);
  } catch (e) {
    throw new Error(`${e.message}\n${stderr}`);
  }
  return base;
}

function stopServers() {
  for (const s of servers) {
    try {
      s.child.kill('SIGTERM');
    } catch {
      /* gone */
    }
    try {
      rmSync(s.data, { recursive: true, force: true });
    } catch {
      /* ignore */
    }
  }
}

// ---- browser helpers ------------------------------------------------------------------------------

async function newPage(viewport = WIDTHS.laptop) {
  const ctx = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await ctx.newPage();
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => log('page error:', e.message));
  pages.add(page);
  return page;
}

/** The current page at 375 px and at 1280 px. */
async function shot(page, name) {
  const original = page.viewportSize();
  for (const [label, vp] of Object.entries(WIDTHS)) {
    await page.setViewportSize(vp);
    await page.waitForTimeout(250);
    await page.screenshot({ path: path.join(OUT, `${name}-${vp.width}.png`), fullPage: true });
    void label;
  }
  await page.setViewportSize(original);
  await page.waitForTimeout(150);
}

async function register(page, base, who) {
  const email = `${who}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  await page.goto(`${base}/register`);
  await page.getByLabel('Name').fill(`Fan ${who}`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('correct-horse-1');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  return email;
}

async function login(page, base, email, password) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

async function openEventBySearch(page, text) {
  await page.getByRole('searchbox').fill(text);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.getByRole('link', { name: new RegExp(text) }).first().click();
  await page.waitForURL(/\/events\//);
  await page.locator('svg rect[data-seat]').first().waitFor();
}

const openSeat = 'svg rect[data-seat][aria-checked="false"][aria-disabled="false"]';

/** Zooms into a section (as a fan on a phone would), then taps `n` free seats; returns their numbers. */
async function pickSeats(page, n, section) {
  const label = section ? page.locator(`svg text[data-section="${section}"]`) : page.locator('svg text[data-section]').first();
  const name = await label.getAttribute('data-section');
  await label.click();
  await page.waitForTimeout(200);
  const picked = [];
  for (let i = 0; i < n; i++) {
    const seat = page.locator(`svg g[aria-label="Section ${name}"] ${openSeat.replace('svg ', '')}`).first();
    const num = await seat.getAttribute('data-seat');
    await seat.click();
    const checked = page.locator(`svg rect[data-seat="${num}"][aria-checked="true"]`);
    // On a phone the first tap on tiny seats zooms in; the second one selects.
    if (!(await checked.isVisible().catch(() => false))) {
      await page.waitForTimeout(200);
      await page.locator(`svg rect[data-seat="${num}"]`).click();
    }
    await checked.waitFor();
    picked.push(num);
  }
  return picked;
}

async function holdSelection(page) {
  const btn = page.getByRole('button', { name: /^Hold \d+ seats?$|^Hold seats$/ }).filter({ visible: true }).first();
  await btn.click();
}

async function pay(page, card) {
  await page.getByLabel('Card number').fill(card);
  await page.getByLabel('CVV').fill('123');
  const confirm = page.waitForResponse((r) => r.url().includes('/api/bookings/confirm'), { timeout: 20000 });
  await page.getByRole('button', { name: /^Pay / }).click();
  return confirm;
}

// ---- scenarios ------------------------------------------------------------------------------------

async function fanBooksAndCancels(base) {
  const page = await newPage();
  await page.goto(base);
  await page.getByRole('heading', { name: 'Find your next live event' }).waitFor();
  await page.locator('a[href^="/events/"]').first().waitFor();
  await shot(page, '01-home');

  await register(page, base, 'fan');
  await shot(page, '02-home-signed-in');

  await openEventBySearch(page, 'Hamlet');
  await shot(page, '03-event');
  const seats = await pickSeats(page, 2);
  log('picked', seats.join(', '));
  await shot(page, '04-event-selected');
  await holdSelection(page);
  await page.waitForURL(/\/checkout$/);
  await page.getByTestId('hold-countdown').waitFor();
  assert(/\d+:\d\d/.test(await page.getByTestId('hold-countdown').innerText()), 'countdown shows m:ss');
  await shot(page, '05-checkout');

  const res = await pay(page, '4242424242424242');
  if (res.status() === 404 || res.status() === 405) {
    await shot(page, '06-checkout-no-booking-service');
    throw new Skip(`POST /api/bookings/confirm answered ${res.status()}: the booking service is not deployed on this server`);
  }
  assert(res.status() === 201 || res.status() === 200, `confirm answered ${res.status()}: ${await res.text()}`);
  const headers = res.request().headers();
  assert(headers['idempotency-key'], 'the payment carries an Idempotency-Key');
  await page.waitForURL(/\/bookings\//);
  await page.getByRole('heading', { name: "You're going!" }).waitFor();
  const ref = (await page.getByTestId('booking-reference').innerText()).trim();
  assert(ref.length > 0, 'a booking reference is shown');
  await shot(page, '06-confirmation');

  await page.getByRole('link', { name: 'My bookings' }).first().click();
  await page.waitForURL(/\/me\/bookings$/);
  await page.getByText(ref).waitFor();
  await shot(page, '07-my-bookings');
  await page.getByRole('button', { name: 'Cancel booking' }).first().click();
  await page.getByRole('button', { name: 'Yes, cancel it' }).click();
  await page.getByText(/is cancelled/).waitFor();
  await shot(page, '08-my-bookings-cancelled');
  await page.context().close();
  pages.delete(page);
}

async function declinedCard(base) {
  const page = await newPage(WIDTHS.phone);
  await register(page, base, 'declined');
  await openEventBySearch(page, 'Lakers');
  const seats = await pickSeats(page, 2);
  await holdSelection(page);
  await page.waitForURL(/\/checkout$/);
  const res = await pay(page, '4000000000000002');
  if (res.status() === 404 || res.status() === 405) throw new Skip(`POST /api/bookings/confirm answered ${res.status()}`);
  assert(res.status() === 402, `a declined card answers 402, got ${res.status()}`);
  await page.waitForURL(/\/events\//);
  await page.getByText(/payment was declined/i).waitFor();
  // The seats are free again on the refreshed map.
  await page.locator(`svg rect[data-seat="${seats[0]}"][aria-disabled="false"]`).waitFor({ timeout: 15000 });
  await shot(page, '09-declined');
  await page.context().close();
  pages.delete(page);
}

async function raceForASeat(base) {
  const a = await newPage();
  const b = await newPage();
  await register(a, base, 'racer-a');
  await register(b, base, 'racer-b');
  await openEventBySearch(a, 'Aurora');
  await b.goto(a.url());
  await b.locator('svg rect[data-seat]').first().waitFor();
  // Both pick the same free seat of the same section.
  await a.locator('svg text[data-section]').nth(2).click();
  const section = await a.locator('svg text[data-section]').nth(2).getAttribute('data-section');
  const seat = await a.locator(`svg g[aria-label="Section ${section}"] ${openSeat.replace('svg ', '')}`).first().getAttribute('data-seat');
  await a.locator(`svg rect[data-seat="${seat}"]`).click();
  await b.locator(`svg text[data-section="${section}"]`).click();
  await b.locator(`svg rect[data-seat="${seat}"]`).click();
  await b.locator(`svg rect[data-seat="${seat}"][aria-checked="true"]`).waitFor();
  await holdSelection(a);
  await a.waitForURL(/\/checkout$/);
  await holdSelection(b);
  await b.getByText(/just taken by someone else/).first().waitFor();
  await b.locator(`svg rect[data-seat="${seat}"][aria-disabled="true"]`).waitFor();
  await shot(b, '10-race-loser');
  for (const p of [a, b]) {
    await p.context().close();
    pages.delete(p);
  }
}

async function expiredHold(shortBase) {
  const page = await newPage();
  await register(page, shortBase, 'late');
  await openEventBySearch(page, 'Hamlet');
  await pickSeats(page, 1);
  await holdSelection(page);
  await page.waitForURL(/\/checkout$/);
  await page.getByRole('alert').filter({ hasText: 'Less than a minute' }).waitFor();
  await shot(page, '11-hold-warning');
  await page.waitForURL(/\/events\//, { timeout: 60000 });
  await page.getByText(/hold expired/).waitFor();
  await shot(page, '12-hold-expired');
  await page.context().close();
  pages.delete(page);
}

async function organizer(base) {
  const page = await newPage();
  await login(page, base, ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.getByRole('link', { name: 'Organizer' }).click();
  await page.getByRole('link', { name: 'Lakers vs Celtics' }).or(page.getByText('Lakers vs Celtics')).first().waitFor();
  await shot(page, '13-admin-events');
  await page.getByRole('link', { name: '+ New event' }).click();
  const name = `E2E Jazz Night ${Date.now()}`;
  await page.getByLabel('Event name').fill(name);
  await page.getByLabel('Venue').fill('Blue Note Hall');
  await page.getByLabel('City').fill('Porto');
  await page.getByRole('button', { name: 'Create event' }).click();
  await page.waitForURL(/\/admin\/events\/[^/]+$/);
  await page.getByRole('heading', { name: 'Seat layout' }).waitFor();
  await page.getByRole('button', { name: 'Save layout' }).click();
  await page.getByText(/Layout saved: \d+ seats/).waitFor();
  await shot(page, '14-admin-layout');
  await page.getByRole('button', { name: 'Put on sale' }).click();
  await page.getByText('On Sale', { exact: true }).first().waitFor();
  await page.getByRole('link', { name: 'Sales dashboard' }).click();
  await page.getByRole('img', { name: /by section/ }).waitFor();
  await shot(page, '15-admin-sales');
  // The new event is on sale for fans.
  await page.goto(`${base}/?q=${encodeURIComponent('Jazz Night')}`);
  await page.getByRole('link', { name: new RegExp(name) }).waitFor({ timeout: 15000 });
  await page.context().close();
  pages.delete(page);
}

/** A JSON call to the API (organizer setup); throws on a non-2xx answer. */
async function apiCall(base, method, url, token, body) {
  const r = await fetch(`${base}${url}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  assert(r.ok, `${method} ${url} answered ${r.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

async function waitingRoom(base) {
  const { accessToken: admin } = await apiCall(base, 'POST', '/api/auth/login', null, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  const day = 24 * 3600 * 1000;
  const name = `E2E Queue Gig ${Date.now()}`;
  const ev = await apiCall(base, 'POST', '/api/events', admin, {
    eventName: name,
    category: 'CONCERT',
    venueName: 'Queue Hall',
    city: 'Lisbon',
    eventDate: new Date(Date.now() + 60 * day).toISOString(),
    saleStartTime: new Date(Date.now() + 30 * day).toISOString(),
    waitingRoom: { enabled: true, admitPerMinute: 600 },
  });
  assert(ev.status === 'UPCOMING' && ev.waitingRoom?.enabled, `the event is ${ev.status} with waitingRoom ${JSON.stringify(ev.waitingRoom)}`);
  await apiCall(base, 'PUT', `/api/inventory/events/${ev.eventId}/seats`, admin, {
    sections: [
      { section: 'Floor', seatType: 'REGULAR', price: 45, rows: [1, 2, 3].map((rowNumber) => ({ rowNumber, seats: 12 })) },
      { section: 'Balcony', seatType: 'VIP', price: 80, rows: [1, 2].map((rowNumber) => ({ rowNumber, seats: 10 })) },
    ],
  });
  const eventUrl = `${base}/events/${ev.eventId}`;

  // Fan A comes early, joins the room and is told about the pre-queue; the map is only a preview.
  const a = await newPage();
  await register(a, base, 'queue-a');
  await a.goto(eventUrl);
  await a.getByRole('heading', { name }).waitFor();
  const roomA = a.getByTestId('waiting-room');
  await roomA.getByRole('button', { name: 'Join the queue' }).click();
  await roomA.getByText(/You are in\. When the sale opens/).waitFor();
  await a.getByRole('img', { name: 'Seat map preview' }).waitFor();
  await shot(a, '16-queue-pre-queue');

  // The organizer opens the sale; A's page polls and lets A in (at 600 a minute, within seconds).
  await apiCall(base, 'PUT', `/api/events/${ev.eventId}/status`, admin, { status: 'ON_SALE' });
  await roomA.getByText(/It is your turn/).waitFor({ timeout: 30000 });
  await a.locator(openSeat).first().waitFor({ timeout: 15000 });
  const [seat] = await pickSeats(a, 1, 'Floor');
  log('admitted fan picked', seat);
  await shot(a, '17-queue-admitted');

  // Fan B never joined: the map stays a preview, the room is offered, and a hold is refused.
  const b = await newPage(WIDTHS.phone);
  await register(b, base, 'queue-b');
  await b.goto(eventUrl);
  const roomB = b.getByTestId('waiting-room');
  await roomB.getByRole('button', { name: 'Join the queue' }).waitFor();
  await b.getByRole('img', { name: 'Seat map preview' }).waitFor();
  assert((await b.locator(openSeat).count()) === 0, 'a fan who is not admitted can pick seats on the map');
  const refused = b.waitForResponse((r) => r.url().includes('/api/inventory/reservations') && r.request().method() === 'POST');
  await b.getByRole('button', { name: /^Find \d+ seats?$/ }).click();
  const res = await refused;
  const body = await res.json().catch(() => ({}));
  assert(res.status() === 403 && body.error === 'NOT_ADMITTED', `a hold before admission answered ${res.status()} ${JSON.stringify(body)}`);
  await b.getByRole('alert').filter({ hasText: /waiting room/i }).waitFor();
  await roomB.getByRole('button', { name: 'Join the queue' }).waitFor();
  assert(!b.url().includes('/checkout'), 'a fan who is not admitted reached the checkout');
  await shot(b, '18-queue-not-admitted');

  // The admitted fan holds the picked seat.
  await holdSelection(a);
  await a.waitForURL(/\/checkout$/);
  await a.getByTestId('hold-countdown').waitFor();
  for (const p of [a, b]) {
    await p.context().close();
    pages.delete(p);
  }
}

// ---- main -----------------------------------------------------------------------------------------

// ---- API documentation (/api/docs) ------------------------------------------------------------

/** The interactive API page renders from the embedded Swagger UI and lists the contract's endpoints. */
async function apiDocs(base) {
  const page = await newPage();
  const failed = [];
  const foreign = [];
  page.on('requestfailed', (r) => failed.push(r.url()));
  page.on('request', (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith('data:')) foreign.push(r.url());
  });
  await page.goto(`${base}/api/docs`);
  await page.waitForSelector('.opblock-summary-path', { timeout: 30000 });
  const title = await page.locator('.info .title').first().textContent();
  assert(title?.includes('Ticketing platform API'), `unexpected title: ${title}`);
  const ops = await page.$$eval('.opblock', (els) =>
    els.map((e) => {
      const method = e.querySelector('.opblock-summary-method')?.textContent?.trim();
      const p = e.querySelector('.opblock-summary-path')?.getAttribute('data-path');
      return `${method} ${p}`;
    }),
  );
  for (const want of [
    'POST /api/auth/register',
    'POST /api/auth/login',
    'GET /api/events',
    'POST /api/events',
    'PUT /api/inventory/events/{eventId}/seats',
    'POST /api/inventory/reservations',
    'POST /api/bookings/confirm',
    'GET /api/payment/{paymentId}',
    'GET /api/search',
    'GET /api/notifications/me',
  ]) {
    assert(ops.includes(want), `/api/docs does not show ${want}; it shows ${ops.join(', ')}`);
  }
  // Open one operation: its error answers and the bearer lock are shown.
  const confirm = page.locator('.opblock', { has: page.locator('[data-path="/api/bookings/confirm"]') }).first();
  await confirm.locator('.opblock-summary').click();
  await confirm.locator('.responses-table').first().waitFor();
  const text = await confirm.textContent();
  for (const code of ['IDEMPOTENCY_KEY_MISSING', 'PAYMENT_FAILED', '402', '409']) {
    assert(text?.includes(code), `the confirm operation does not mention ${code}`);
  }
  assert((await page.locator('.authorize').count()) > 0, 'no Authorize button (bearer scheme)');
  assert(failed.length === 0, `requests failed: ${failed.join(', ')}`);
  assert(foreign.length === 0, `the page fetched from elsewhere: ${foreign.join(', ')}`);
  log(`api docs show ${ops.length} operations`);
  await page.screenshot({ path: path.join(OUT, 'api-docs-1280.png'), fullPage: false });
  await page.context().close();
  pages.delete(page);
}

async function run(name, fn) {
  try {
    await fn();
    pass(name);
  } catch (e) {
    if (e instanceof Skip) {
      if (STRICT) throw new Error(`${name}: ${e.message}`);
      skip(name, e.message);
      for (const p of pages) await p.context().close().catch(() => undefined);
      pages.clear();
      return;
    }
    e.message = `${name}: ${e.message}`;
    throw e;
  }
}

async function main() {
  const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
  assert(existsSync(executablePath), `${executablePath} is missing: apt-get install -y chromium`);
  let base = process.env.E2E_URL?.replace(/\/$/, '');
  let shortBase = process.env.E2E_SHORT_TTL_URL?.replace(/\/$/, '');
  if (!base) {
    const port = Number(process.env.E2E_PORT ?? 8611);
    base = await startServer(port);
    shortBase = await startServer(port + 1, { TICKETING_RESERVATION_TTL_SECS: '65', TICKETING_CLEANUP_INTERVAL_SECS: '5' });
  }
  log('base', base, 'screenshots in', OUT);
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  await run('register, search, pick two seats, pay, see it in my bookings, cancel', () => fanBooksAndCancels(base));
  await run('a declined card shows the decline and frees the seats', () => declinedCard(base));
  await run('two fans race for one seat; the loser is told and sees the map refreshed', () => raceForASeat(base));
  if (shortBase) await run('an expired hold warns, then sends the fan back to the map', () => expiredHold(shortBase));
  else skip('expired hold', 'needs E2E_SHORT_TTL_URL (a server with a short TICKETING_RESERVATION_TTL_SECS)');
  await run('an organizer creates an event with a layout and puts it on sale', () => organizer(base));
  await run('a waiting room: an early fan joins, is admitted when the sale opens and picks a seat; a fan who never joined is kept out', () =>
    waitingRoom(base),
  );
  await run('the API documentation page renders and lists the endpoints', () => apiDocs(base));
}

let code = 0;
try {
  await main();
} catch (e) {
  code = 1;
  console.error('[e2e] FAIL', e?.stack ?? e);
  let i = 0;
  for (const p of pages) {
    try {
      const file = path.join(OUT, `failure-${++i}.png`);
      await p.screenshot({ path: file, fullPage: true });
      console.error(`[e2e] screenshot of ${p.url()} in ${file}`);
    } catch {
      /* page gone */
    }
  }
} finally {
  try {
    await browser?.close();
  } catch {
    /* ignore */
  }
  stopServers();
}
const passed = results.filter((r) => r.status === 'passed').length;
const skipped = results.filter((r) => r.status === 'skipped');
for (const s of skipped) console.log(`[e2e] NOTE skipped: ${s.name}: ${s.why}`);
console.log(`e2e: ${passed} passed, ${code ? 1 : 0} failed, ${skipped.length} skipped`);
process.exit(code);
