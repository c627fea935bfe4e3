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
// script starts one itself when it starts the binary), E2E_ONLY (runs only the journeys whose name
// contains it: E2E_ONLY=after: for tickets, check-in and the waitlist).
// Exits non-zero on failure, after a screenshot of every open page (failure-*.png).
import { chromium } from 'playwright-core';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { OUT, checkGuidePictures, WIDTHS, assert, log, pages, results, run as runJourney, session, skip, startServer, stopServers } from './lib.mjs';
import { bestAvailable, declinedCard, expiredHold, fanBooksAndCancels, raceForASeat, waitingRoom } from './fan.mjs';
import { apiDocs, organizer } from './organizer.mjs';
import { checkInAtTheGate, ticketsInMyBookings, waitlistOffer } from './after.mjs';

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
  session.browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  // E2E_ONLY=organizer runs only the journeys whose name contains that text.
  const only = process.env.E2E_ONLY?.toLowerCase();
  const run = (name, fn) => (!only || name.toLowerCase().includes(only) ? runJourney(name, fn) : Promise.resolve());
  for (const [label, vp] of [['laptop', WIDTHS.laptop], ['phone', WIDTHS.phone]]) {
    await run(`fan (${label}): home, a city typed in the search box, two seats, paid, the limit counted, my bookings, cancelled`, () =>
      fanBooksAndCancels(base, vp),
    );
    await run(`fan (${label}): a declined card frees the seats, is said once, never "paid", kept apart from the bookings`, () => declinedCard(base, vp));
    await run(`fan (${label}): best available shows the seats and the total first, then released, asked again and accepted`, () =>
      bestAvailable(base, vp),
    );
  }
  await run('two fans race for one seat; the loser is told and sees the map refreshed', () => raceForASeat(base));
  if (shortBase) await run('fan (laptop and phone): an expired hold warns, then sends the fan back to the map', () => expiredHold(shortBase));
  else skip('expired hold', 'needs E2E_SHORT_TTL_URL (a server with a short TICKETING_RESERVATION_TTL_SECS)');
  await run('organizer (laptop and phone): new event with a waiting room, layout errors, sale opened only with seats, admission rate saved alone, queue paused and resumed, sales dashboard, event cancelled with refunds', () => organizer(base));
  await run('the organizer guide shows only screenshots the organizer journey takes', async () => checkGuidePictures());
  await run('fan: a waiting room: an early fan joins, is admitted when the sale opens and picks a seat; a fan who never joined is kept out, then waits through a pause', () =>
    waitingRoom(base),
  );
  await run('the API documentation page renders and lists the endpoints', () => apiDocs(base));
  // After the sale (E2E_ONLY=after: runs these alone): the second uses the tickets the first bought.
  const sold = {};
  await run('after: a fan buys two seats and finds the tickets in my bookings, with QR codes and a PDF', () => ticketsInMyBookings(base, sold));
  await run('after: check-in at gate A admits a ticket once, then says it was used at gate A; the counts follow; a scanner is named and scans', () =>
    checkInAtTheGate(base, sold),
  );
  await run('after: a fan on the waitlist of a sold-out event gets the seat another fan let go, with a countdown, and buys it', () => waitlistOffer(base));
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
    await session.browser?.close();
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
