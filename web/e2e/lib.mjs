// The browser tests' harness: the servers they start, the pages they open, screenshots, the
// accessibility check, and the runner that records each journey's outcome. The journeys themselves
// are in fan.mjs and organizer.mjs; flow.mjs runs them all.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const webDir = path.resolve(here, '..');
export const OUT = path.resolve(process.env.E2E_OUT ?? path.join(webDir, '..', 'target', 'e2e'));
export const STRICT = process.env.E2E_STRICT === '1';
export const ADMIN_EMAIL = process.env.E2E_ADMIN_EMAIL ?? 'admin@example.com';
export const ADMIN_PASSWORD = process.env.E2E_ADMIN_PASSWORD ?? 'adminpass1';
export const GUIDE_DIR = process.env.E2E_GUIDE_DIR ? path.resolve(process.env.E2E_GUIDE_DIR) : null;
export const WIDTHS = { phone: { width: 375, height: 812 }, laptop: { width: 1280, height: 900 } };
mkdirSync(OUT, { recursive: true });
if (GUIDE_DIR) mkdirSync(GUIDE_DIR, { recursive: true });

export const results = [];
export const servers = [];
export const pages = new Set();
/** The one browser every page opens in (set by flow.mjs). */
export const session = { browser: null };

export function log(...a) {
  console.log('[e2e]', ...a);
}
export function pass(name) {
  results.push({ name, status: 'passed' });
  log(`PASS ${name}`);
}
export function skip(name, why) {
  results.push({ name, status: 'skipped', why });
  log(`SKIP ${name}: ${why}`);
}
export class Skip extends Error {}
export function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// ---- server ---------------------------------------------------------------------------------------

/** Poll `fn` until it returns something truthy (or `ms` pass: then fail, naming `what`). */
export async function eventually(what, fn, ms = 15000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${what} did not happen within ${ms} ms${last ? `: ${last.message}` : ''}`);
}

export async function waitFor(url, ms = 30000) {
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

export async function startServer(port, extraEnv = {}) {
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

export function stopServers() {
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

export async function newPage(viewport = WIDTHS.laptop) {
  const ctx = await session.browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await ctx.newPage();
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => log('page error:', e.message));
  pages.add(page);
  return page;
}

/** The current page at 375 px and at 1280 px. */
export async function shot(page, name) {
  const original = page.viewportSize();
  for (const [label, vp] of Object.entries(WIDTHS)) {
    await page.setViewportSize(vp);
    await page.waitForTimeout(250);
    await page.screenshot({ path: path.join(OUT, `${name}-${vp.width}.png`), fullPage: true });
    void label;
  }
  // The organizer guide's pictures (docs/img/guide), refreshed by scripts/guide-screenshots.sh.
  if (GUIDE_DIR && name.startsWith('organizer-')) {
    await page.setViewportSize(WIDTHS.laptop);
    await page.waitForTimeout(250);
    await page.screenshot({ path: path.join(GUIDE_DIR, `${name}.png`), fullPage: true });
  }
  await page.setViewportSize(original);
  await page.waitForTimeout(150);
}

export async function register(page, base, who) {
  const email = `${who}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  await page.goto(`${base}/register`);
  await page.getByLabel('Name').fill(`Fan ${who}`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('correct-horse-1');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  return email;
}

export async function login(page, base, email, password) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

/** Types `text` in the home page's search box, then opens the result whose link matches `linkName` (default: the text). */
export async function openEventBySearch(page, text, linkName = text) {
  await page.getByRole('searchbox').fill(text);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.waitForURL((u) => u.search.includes(`q=${encodeURIComponent(text).replace(/%20/g, '+')}`) || u.search.includes(`q=${encodeURIComponent(text)}`));
  const link = page.getByRole('link', { name: linkName instanceof RegExp ? linkName : new RegExp(linkName) }).first();
  await link.waitFor();
  await link.click();
  await page.waitForURL(/\/events\//);
  await page.locator('svg rect[data-seat]').first().waitFor();
}

/** Waits until keyboard focus is on the page's main heading (h1), as after an in-app page change; returns its text. */
export async function expectHeadingFocused(page, name) {
  await page.waitForFunction(() => document.activeElement?.tagName === 'H1', null, { timeout: 10000 }).catch(async () => {
    const what = await page.evaluate(() => `${document.activeElement?.tagName} ${document.activeElement?.textContent?.slice(0, 60)}`);
    throw new Error(`focus is not on the page's h1 after navigating to ${page.url()} but on ${what}`);
  });
  const text = (await page.evaluate(() => document.activeElement?.textContent ?? '')).trim();
  if (name) assert(name instanceof RegExp ? name.test(text) : text === name, `the focused h1 reads "${text}", expected ${name}`);
  return text;
}

export const openSeat = 'svg rect[data-seat][aria-checked="false"][aria-disabled="false"]';

/** Zooms into a section (as a fan on a phone would), then taps `n` free seats; returns their numbers. */
export async function pickSeats(page, n, section) {
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

export async function holdSelection(page) {
  const btn = page.getByRole('button', { name: /^Hold \d+ seats?$|^Hold seats$/ }).filter({ visible: true }).first();
  await btn.click();
}

export async function pay(page, card) {
  await page.getByLabel('Card number').fill(card);
  await page.getByLabel('CVV').fill('123');
  const confirm = page.waitForResponse((r) => r.url().includes('/api/bookings/confirm'), { timeout: 20000 });
  await page.getByRole('button', { name: /^Pay / }).click();
  return confirm;
}

/** A JSON call to the API (organizer setup); throws on a non-2xx answer. */
export async function apiCall(base, method, url, token, body) {
  const r = await fetch(`${base}${url}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  assert(r.ok, `${method} ${url} answered ${r.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

export async function run(name, fn) {
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


// ---- accessibility ----------------------------------------------------------------------------------

const AXE_SOURCE = readFileSync(path.join(webDir, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const WCAG_22_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** Runs axe-core on the page as it is now and fails on any WCAG 2.2 AA violation, naming each rule and element. */
export async function checkA11y(page, name) {
  // Evaluated through the debugging protocol, so the app's Content-Security-Policy does not block it.
  await page.evaluate(AXE_SOURCE);
  // Colours mid-transition (a button just enabled) are not what a person reads: finish them first.
  await page.evaluate(() => document.getAnimations().forEach((a) => a.finish()));
  const violations = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }).then((r) => r.violations),
    WCAG_22_AA,
  );
  const found = violations.map((v) => `${v.id} (${v.impact}): ${v.help} -> ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  assert(found.length === 0, `axe (WCAG 2.2 AA) on ${name}:\n  ${found.join('\n  ')}`);
  log(`axe: ${name} clean`);
}

// ---- the organizer guide ------------------------------------------------------------------------------

/** Every picture docs/organizer-guide.md shows is one this run took: a journey that stops taking a
 * screenshot (or a guide that names one never taken) fails the run, so the guide stays true. */
export function checkGuidePictures() {
  const guide = path.join(webDir, '..', 'docs', 'organizer-guide.md');
  if (!existsSync(guide)) return;
  const names = [...readFileSync(guide, 'utf8').matchAll(/img\/guide\/([\w-]+)\.png/g)].map((m) => m[1]);
  assert(names.length > 0, 'docs/organizer-guide.md shows no screenshot');
  const missing = names.filter((n) => !existsSync(path.join(OUT, `${n}-1280.png`)));
  assert(missing.length === 0, `docs/organizer-guide.md shows screenshots this run did not take: ${missing.join(', ')}`);
  const stale = names.filter((n) => !existsSync(path.join(webDir, '..', 'docs', 'img', 'guide', `${n}.png`)));
  assert(stale.length === 0, `docs/img/guide lacks ${stale.join(', ')}: run scripts/guide-screenshots.sh`);
  log(`organizer guide: its ${names.length} screenshots were taken by this run`);
}
