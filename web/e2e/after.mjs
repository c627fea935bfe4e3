// After the sale: tickets with QR codes and PDFs in "My bookings", check-in at the gates (typed
// codes, the answers, the counts, the scanner role), and the waitlist of a sold-out event (an offer
// with its countdown, bought at the usual checkout). shared/API.md §13 and §14.
//
// The three journeys share one event: the tickets the fan buys in the first are checked in in the
// second. Setup goes through the API, as in the other journeys.
import { readFile } from 'node:fs/promises';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  WIDTHS,
  apiCall,
  assert,
  eventually,
  checkA11y,
  expectHeadingFocused,
  holdSelection,
  log,
  login,
  newPage,
  pages,
  pay,
  pickSeats,
  register,
  shot,
  Skip,
} from './lib.mjs';

const day = 24 * 3600 * 1000;
const PASSWORD = 'correct-horse-1';

async function close(...ps) {
  for (const p of ps) {
    await p.context().close();
    pages.delete(p);
  }
}
const tokenOf = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('ticketing.session') ?? 'null')?.accessToken);
const squash = async (locator) => ((await locator.textContent()) ?? '').replace(/\s+/g, ' ').trim();

/** A raw call that returns the status and the body, for answers a journey checks itself. */
async function call(base, method, url, token, body) {
  const r = await fetch(`${base}${url}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: r.status, body: json, type: r.headers.get('content-type') ?? '' };
}

async function adminToken(base) {
  const { accessToken } = await apiCall(base, 'POST', '/api/auth/login', null, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  return accessToken;
}

/** A new event on sale with one section of `seats` seats in one row. */
async function eventOnSale(base, admin, name, seats, price) {
  const ev = await apiCall(base, 'POST', '/api/events', admin, {
    eventName: name,
    category: 'CONCERT',
    venueName: 'Gate Hall',
    city: 'Porto',
    eventDate: new Date(Date.now() + 60 * day).toISOString(),
    saleStartTime: new Date(Date.now() + 30 * day).toISOString(),
  });
  await apiCall(base, 'PUT', `/api/inventory/events/${ev.eventId}/seats`, admin, {
    sections: [{ section: 'Floor', seatType: 'REGULAR', price, rows: [{ rowNumber: 1, seats }] }],
  });
  await apiCall(base, 'PUT', `/api/events/${ev.eventId}/status`, admin, { status: 'ON_SALE' });
  return ev;
}

async function apiFan(base, who) {
  const email = `${who}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  const user = await apiCall(base, 'POST', '/api/auth/register', null, { email, password: PASSWORD, name: `Fan ${who}` });
  const { accessToken } = await apiCall(base, 'POST', '/api/auth/login', null, { email, password: PASSWORD });
  return { email, userId: user.userId, token: accessToken };
}

/**
 * (a) A fan buys two seats on the map, opens "My bookings", unfolds the booking's tickets: one per
 * seat, each valid with its QR code (fetched with the token, shown from an object URL), and downloads
 * a ticket's PDF (application/pdf).
 */
export async function ticketsInMyBookings(base, ctx) {
  const admin = await adminToken(base);
  const name = `E2E Gate Night ${Date.now()}`;
  const ev = await eventOnSale(base, admin, name, 6, 40);
  Object.assign(ctx, { eventId: ev.eventId, eventName: name });

  const page = await newPage(WIDTHS.laptop);
  await register(page, base, 'tickets');
  await page.goto(`${base}/events/${ev.eventId}`);
  await page.getByRole('heading', { name, level: 1 }).waitFor();
  await page.locator('svg rect[data-seat]').first().waitFor();
  const seats = await pickSeats(page, 2, 'Floor');
  log('tickets: picked', seats.join(', '));
  await holdSelection(page);
  await page.waitForURL(/\/checkout$/);
  const res = await pay(page, '4242424242424242');
  if (res.status() === 404 || res.status() === 405) throw new Skip(`POST /api/bookings/confirm answered ${res.status()}`);
  assert(res.status() === 201 || res.status() === 200, `confirm answered ${res.status()}: ${await res.text()}`);
  const booking = await res.json();
  await page.waitForURL(/\/bookings\//);
  await expectHeadingFocused(page, "You're going!");

  const token = await tokenOf(page);
  const listed = await call(base, 'GET', `/api/bookings/${booking.bookingId}/tickets`, token);
  if (listed.status === 404 || listed.status === 405) throw new Skip(`GET /api/bookings/{id}/tickets answered ${listed.status}: this server has no tickets`);
  assert(listed.status === 200, `GET /api/bookings/${booking.bookingId}/tickets answered ${listed.status}: ${JSON.stringify(listed.body)}`);
  const apiTickets = listed.body.tickets;
  assert(apiTickets.length === 2, `a 2-seat booking has ${apiTickets.length} tickets: ${JSON.stringify(apiTickets)}`);
  for (const t of apiTickets) {
    assert(t.status === 'VALID' && t.usedAt == null && t.gate == null, `a new ticket reads ${JSON.stringify(t)}`);
    assert(t.bookingId === booking.bookingId && t.eventId === ev.eventId, `a ticket names another booking or event: ${JSON.stringify(t)}`);
    assert(seats.includes(t.seatNumber), `ticket seat ${t.seatNumber} is not one of ${seats.join(', ')}`);
  }

  await page.getByRole('link', { name: 'My bookings' }).first().click();
  await page.waitForURL(/\/me\/bookings$/);
  await expectHeadingFocused(page, 'My bookings');
  const card = page.getByTestId('bookings').locator(':scope > li').filter({ hasText: booking.bookingReference }).first();
  await card.waitFor();
  const qrAnswers = [];
  page.on('response', (r) => {
    if (/\/api\/tickets\/[^/]+\/qr$/.test(new URL(r.url()).pathname)) qrAnswers.push(r);
  });
  const toggle = card.getByRole('button', { name: 'Tickets (2)' });
  assert((await toggle.getAttribute('aria-expanded')) === 'false', 'the tickets are unfolded before being asked for');
  await toggle.click();
  assert((await toggle.getAttribute('aria-expanded')) === 'true', 'the tickets button does not say it is expanded');
  const tickets = card.getByTestId('ticket');
  await tickets.nth(1).waitFor();
  assert((await tickets.count()) === 2, `My bookings shows ${await tickets.count()} tickets for 2 seats`);
  const qrs = card.getByRole('img', { name: /^QR code of the ticket for Floor · row 1 · seat \d+$/ });
  await qrs.nth(1).waitFor();
  await eventually('both QR codes to be drawn', () =>
    qrs.evaluateAll((imgs) => imgs.length === 2 && imgs.every((i) => i.complete && i.naturalWidth > 0 && i.src.startsWith('blob:'))),
  );
  for (const r of qrAnswers) {
    assert(r.status() === 200, `a QR code answered ${r.status()}`);
    assert((r.headers()['content-type'] ?? '').startsWith('image/png'), `a QR code came as ${r.headers()['content-type']}`);
    assert(/^Bearer /.test(r.request().headers()['authorization'] ?? ''), 'a QR code was asked for without the token');
  }
  assert(qrAnswers.length >= 2, `${qrAnswers.length} QR codes were fetched for 2 tickets`);
  for (let i = 0; i < 2; i++) {
    assert((await squash(tickets.nth(i).getByText('Valid', { exact: true }))) === 'Valid', `ticket ${i + 1} is not shown valid`);
  }

  // The PDF: fetched with the token, handed to the browser as a download.
  const pdfButton = tickets.first().getByRole('button', { name: /^Download PDF of the ticket for Floor · row 1 · seat \d+$/ });
  const [download, pdf] = await Promise.all([
    page.waitForEvent('download'),
    page.waitForResponse((r) => /\/api\/tickets\/[^/]+\/pdf$/.test(new URL(r.url()).pathname)),
    pdfButton.click(),
  ]);
  assert(pdf.status() === 200, `the PDF answered ${pdf.status()}`);
  assert((pdf.headers()['content-type'] ?? '').startsWith('application/pdf'), `the PDF came as ${pdf.headers()['content-type']}`);
  // What the browser saved is the PDF itself.
  const saved = await readFile(await download.path());
  const head = saved.subarray(0, 5).toString('latin1');
  assert(head === '%PDF-' && saved.length > 500, `the saved PDF (${saved.length} bytes) starts with ${JSON.stringify(head)}`);
  assert(/^ticket-.+\.pdf$/.test(download.suggestedFilename()), `the download is named ${download.suggestedFilename()}`);
  assert((await card.getByRole('alert').count()) === 0, 'an error is shown after the PDF download');
  await checkA11y(page, 'my bookings with tickets (laptop)');
  await shot(page, '30-my-tickets');

  // What check-in needs: the codes, as the page shows them for typing in.
  ctx.codes = await card.getByTestId('ticket-code').allTextContents();
  ctx.codes = ctx.codes.map((c) => c.trim());
  assert(ctx.codes.length === 2 && ctx.codes.every((c) => apiTickets.some((t) => t.code === c)), 'the codes shown are not the tickets\' codes');
  ctx.fan = { page, token, bookingId: booking.bookingId, bookingReference: booking.bookingReference };
}

/**
 * (b) The organizer opens the check-in page from the event's page and types a ticket's code at gate
 * "A": admitted; again: already used, naming gate A; the counts read 1 of 2. A fan who is not a
 * scanner is told so; once the organizer grants the role, the same fan checks the other ticket in,
 * while the organizer's gate, offline, let it in too: once back online, that scan is a conflict.
 */
export async function checkInAtTheGate(base, ctx) {
  assert(ctx.eventId && ctx.codes?.length === 2, 'the tickets journey did not leave an event with two ticket codes');
  const page = await newPage(WIDTHS.laptop);
  await login(page, base, ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.goto(`${base}/admin/events/${ctx.eventId}`);
  await page.getByRole('heading', { name: ctx.eventName, level: 1 }).waitFor();
  await page.getByRole('link', { name: 'Check-in', exact: true }).click();
  await page.waitForURL(new RegExp(`/checkin/${ctx.eventId}$`));
  await page.getByRole('heading', { name: 'Check-in', level: 1 }).waitFor();
  const counts = page.getByTestId('checkin-counts');
  await counts.filter({ hasText: /^0 \/ 2$/ }).waitFor();
  const gate = page.getByLabel('Gate', { exact: true });
  assert((await gate.inputValue()) === '', 'a new device already has a gate name');
  await gate.fill('A');
  await checkA11y(page, 'check-in page (laptop)');

  const codeField = page.getByLabel('Ticket code');
  const result = page.getByTestId('scan-result');
  const scan = async (code) => {
    await codeField.fill(code);
    const [r] = await Promise.all([
      page.waitForResponse((x) => new URL(x.url()).pathname === `/api/checkin/events/${ctx.eventId}/scans` && x.request().method() === 'POST'),
      page.getByRole('button', { name: 'Check', exact: true }).click(),
    ]);
    assert(r.status() === 200, `a scan answered ${r.status()}: ${await r.text()}`);
    const sent = r.request().postDataJSON();
    assert(sent.code === code && typeof sent.gate === 'string', `the scan sent ${JSON.stringify(sent)}`);
    return { sent, answer: await r.json() };
  };

  const first = await scan(ctx.codes[0]);
  assert(first.sent.gate === 'A', `the scan named gate ${first.sent.gate}`);
  assert(first.answer.result === 'ADMITTED', `the first scan answered ${JSON.stringify(first.answer)}`);
  await result.locator('[data-result="ADMITTED"]').waitFor();
  const admittedText = await squash(result);
  assert(/Admitted/.test(admittedText) && admittedText.includes(`Seat ${first.answer.seatNumber}`), `the admitted answer reads "${admittedText}"`);
  assert(await codeField.evaluate((el) => el === document.activeElement && el.value === ''), 'the code field is not empty and focused for the next ticket');
  await checkA11y(page, 'check-in page, admitted (laptop)');
  await shot(page, '31-checkin-admitted');

  const again = await scan(ctx.codes[0]);
  assert(again.answer.result === 'ALREADY_USED' && again.answer.gate === 'A', `the second scan answered ${JSON.stringify(again.answer)}`);
  await result.locator('[data-result="ALREADY_USED"]').waitFor();
  const usedText = await squash(result);
  assert(/Already used/i.test(usedText) && /at gate A\b/.test(usedText) && /Do not let them in/.test(usedText), `the already-used answer reads "${usedText}"`);
  await counts.filter({ hasText: /^1 \/ 2$/ }).waitFor({ timeout: 10000 });
  const c = await call(base, 'GET', `/api/checkin/events/${ctx.eventId}`, await tokenOf(page));
  assert(c.status === 200 && c.body.admitted === 1 && c.body.expected === 2, `the counts API answered ${c.status} ${JSON.stringify(c.body)}`);
  await checkA11y(page, 'check-in page, already used (laptop)');
  await shot(page, '32-checkin-already-used');

  // A fan without the role is told so, with the user id to give the organizer.
  const staff = await apiFan(base, 'gate');
  const sp = await newPage(WIDTHS.phone);
  await login(sp, base, staff.email, PASSWORD);
  await sp.goto(`${base}/checkin/${ctx.eventId}`);
  const refusal = sp.getByTestId('not-scanner');
  await refusal.waitFor();
  const refusalText = await squash(refusal);
  assert(refusalText.includes('You are not a scanner for this event.') && refusalText.includes(staff.userId), `the refusal reads "${refusalText}"`);
  assert((await sp.getByLabel('Ticket code').count()) === 0, 'a user who is not a scanner is offered the code field');
  await checkA11y(sp, 'check-in page, not a scanner (phone)');
  await shot(sp, '33-checkin-not-scanner');

  // The organizer grants the role on the event's page.
  await page.goto(`${base}/admin/events/${ctx.eventId}`);
  const panel = page.getByRole('region', { name: 'Check-in' });
  await panel.getByLabel('User id of the gate worker').fill(staff.userId);
  const [grant] = await Promise.all([
    page.waitForResponse((x) => new URL(x.url()).pathname === `/api/checkin/events/${ctx.eventId}/scanners/${staff.userId}`),
    panel.getByRole('button', { name: 'Grant the scanner role' }).click(),
  ]);
  assert(grant.status() === 204, `granting the scanner role answered ${grant.status()}`);
  await panel.getByRole('status').filter({ hasText: `User ${staff.userId} can now check tickets in for this event.` }).waitFor();
  await checkA11y(page, 'organizer event page with the check-in panel (laptop)');

  // Offline mode: the organizer's gate downloads the list, loses the network, and lets the second
  // ticket in on the device; meanwhile the gate worker (online) checks the same ticket in at gate B.
  // Back online, the queued scan is sent and comes back as a conflict naming gate B.
  await page.getByRole('link', { name: 'Check-in', exact: true }).click();
  await page.waitForURL(new RegExp(`/checkin/${ctx.eventId}$`));
  assert((await page.getByLabel('Gate', { exact: true }).inputValue()) === 'A', 'the gate name was not remembered on this device');
  const offline = page.getByTestId('offline-panel');
  await offline.getByRole('button', { name: 'Download the ticket list' }).click();
  await offline.getByTestId('offline-list').filter({ hasText: /^2 tickets, downloaded at/ }).waitFor();
  await page.context().setOffline(true);
  await page.getByLabel('Ticket code').fill(ctx.codes[1]);
  await page.getByRole('button', { name: 'Check', exact: true }).click();
  await result.locator('[data-result="ADMITTED"]').waitFor();
  await page.getByTestId('scan-offline').waitFor();
  await offline.getByTestId('offline-queue').filter({ hasText: '1 scan waiting to be sent.' }).waitFor();
  await checkA11y(page, 'check-in page, offline (laptop)');
  await shot(page, '33b-checkin-offline');

  // The gate worker reloads and checks the other ticket in at gate B, on a phone.
  await sp.reload();
  await sp.getByLabel('Gate', { exact: true }).fill('B');
  await sp.getByLabel('Ticket code').fill(ctx.codes[1]);
  await sp.getByRole('button', { name: 'Check', exact: true }).click();
  await sp.getByTestId('scan-result').locator('[data-result="ADMITTED"]').waitFor();
  await sp.getByTestId('checkin-counts').filter({ hasText: /^2 \/ 2$/ }).waitFor({ timeout: 10000 });
  await checkA11y(sp, 'check-in page, scanner admitted (phone)');
  await shot(sp, '34-checkin-scanner');
  // Back online: the queued scan goes up by itself (or with "Send now") and is a conflict.
  await page.context().setOffline(false);
  const report = offline.getByTestId('offline-report');
  try {
    await report.waitFor({ timeout: 8000 });
  } catch {
    log('check-in: the queue was not sent by itself on reconnecting; sending it by hand');
    await offline.getByRole('button', { name: 'Send now' }).click();
    await report.waitFor();
  }
  const conflict = await squash(offline.getByTestId('offline-conflict'));
  assert(/^Conflict: seat .+, let in here at .+: already used \(first admitted at gate B at .+\)\.$/.test(conflict), `the conflict reads "${conflict}"`);
  await offline.getByTestId('offline-queue').filter({ hasText: 'No scans waiting to be sent.' }).waitFor();
  await counts.filter({ hasText: /^2 \/ 2$/ }).waitFor({ timeout: 10000 });
  await checkA11y(page, 'check-in page, conflict after going back online (laptop)');
  await shot(page, '34b-checkin-conflict');

  // A scanner of one event gets 403 at another's (§13).
  const other = (await apiCall(base, 'GET', '/api/events?size=5')).events.find((e) => e.eventId !== ctx.eventId);
  if (other) {
    const r = await call(base, 'GET', `/api/checkin/events/${other.eventId}`, staff.token);
    assert(r.status === 403, `a scanner of one event asked for another event's counts and got ${r.status}: ${JSON.stringify(r.body)}`);
  }

  // The fan's tickets now read used, with the time and the gate.
  const fp = ctx.fan.page;
  await fp.reload();
  const card = fp.getByTestId('bookings').locator(':scope > li').filter({ hasText: ctx.fan.bookingReference }).first();
  await card.getByRole('button', { name: 'Tickets (2)' }).click();
  const lines = card.getByTestId('ticket-status-line');
  await lines.nth(1).waitFor();
  const texts = (await lines.allTextContents()).map((t) => t.replace(/\s+/g, ' '));
  assert(texts.some((t) => /^Used: scanned .+ at gate A\.$/.test(t)) && texts.some((t) => /at gate B\.$/.test(t)), `the fan's tickets read ${JSON.stringify(texts)}`);
  assert((await card.getByText('Used', { exact: true }).count()) === 2, 'the fan\'s two tickets are not both marked Used');
  await shot(fp, '35-my-tickets-used');
  await close(page, sp, fp);
}

/**
 * (c) A sold-out event: a fan (on a phone) joins its waitlist and sees the place in line; another fan
 * lets a held seat go; the waiting fan sees an offer with a countdown on "My bookings" (no reload)
 * and buys it through the usual checkout.
 */
export async function waitlistOffer(base) {
  const admin = await adminToken(base);
  const name = `E2E Sold Out ${Date.now()}`;
  const ev = await eventOnSale(base, admin, name, 2, 25);
  const holder = await apiFan(base, 'holder');
  const held = await apiCall(base, 'POST', '/api/inventory/reservations', holder.token, { eventId: ev.eventId, quantity: 2 });
  assert(held.reservations.length === 2, `the holder got ${held.reservations.length} seats`);

  const page = await newPage(WIDTHS.phone);
  await register(page, base, 'waitlist');
  await page.goto(`${base}/events/${ev.eventId}`);
  await page.getByRole('heading', { name, level: 1 }).waitFor();
  const panel = page.getByTestId('waitlist-panel');
  await panel.getByRole('heading', { name: 'Join the waitlist' }).waitFor({ timeout: 20000 });
  await checkA11y(page, 'sold-out event with the waitlist form (phone)');
  await panel.getByLabel('How many tickets').selectOption('1');
  const [joined] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === `/api/events/${ev.eventId}/waitlist` && r.request().method() === 'POST'),
    panel.getByRole('button', { name: 'Join the waitlist' }).click(),
  ]);
  const entry = await joined.json();
  assert(joined.status() === 201, `joining the waitlist answered ${joined.status()}: ${JSON.stringify(entry)}`);
  assert(entry.status === 'WAITING' && entry.position === 1 && entry.quantity === 1 && entry.offer === null, `the new entry reads ${JSON.stringify(entry)}`);
  assert(JSON.stringify(joined.request().postDataJSON()) === '{"quantity":1}', `joining sent ${joined.request().postData()}`);
  await panel.getByTestId('waitlist-position').filter({ hasText: 'Position 1' }).waitFor();
  await checkA11y(page, 'event page, on the waitlist (phone)');
  await shot(page, '36-waitlist-joined');
  // Joining again gives the same entry back (200).
  const again = await call(base, 'POST', `/api/events/${ev.eventId}/waitlist`, await tokenOf(page), { quantity: 1 });
  assert(again.status === 200 && again.body.entryId === entry.entryId, `joining again answered ${again.status} ${JSON.stringify(again.body)}`);

  await page.getByRole('link', { name: 'My bookings' }).first().click();
  await page.waitForURL(/\/me\/bookings$/);
  const mine = page.getByRole('region', { name: 'My waitlist' });
  const card = mine.getByTestId('waitlist-entry').filter({ hasText: name });
  await card.getByTestId('waitlist-position').filter({ hasText: 'Position 1' }).waitFor();
  assert((await card.getAttribute('data-status')) === 'WAITING', `the entry on My bookings is ${await card.getAttribute('data-status')}`);

  // The other fan lets one seat go (§5: DELETE the reservation): it goes to the waitlist first.
  const freed = await call(base, 'DELETE', `/api/inventory/reservations/${held.reservations[0].reservationId}`, holder.token);
  assert(freed.status === 204, `releasing the hold answered ${freed.status}: ${JSON.stringify(freed.body)}`);
  const offer = card.getByTestId('waitlist-offer');
  await offer.waitFor({ timeout: 30000 });
  assert((await card.getAttribute('data-status')) === 'OFFERED', 'the entry is not marked offered');
  const countdown = await squash(offer.getByTestId('hold-countdown'));
  assert(/held for \d+:\d\d/.test(countdown), `the offer's countdown reads "${countdown}"`);
  // Nobody else can take the offered seat.
  const other = await apiFan(base, 'latecomer');
  const grab = await call(base, 'POST', '/api/inventory/reservations', other.token, { eventId: ev.eventId, seatNumbers: [held.reservations[0].seatNumber] });
  assert(grab.status === 409, `another fan asked for the offered seat and got ${grab.status}: ${JSON.stringify(grab.body)}`);
  await checkA11y(page, 'my bookings with a waitlist offer (phone)');
  await shot(page, '37-waitlist-offer');

  await offer.getByRole('link', { name: 'Buy these seats' }).click();
  await page.waitForURL((u) => u.pathname === '/checkout' && u.search === '', { timeout: 15000 });
  await page.getByRole('heading', { name: 'Checkout', level: 1 }).waitFor();
  await page.getByTestId('hold-countdown').waitFor();
  await page.getByRole('button', { name: 'Pay $25.00' }).waitFor();
  await checkA11y(page, 'checkout of a waitlist offer (phone)');
  const res = await pay(page, '4242424242424242');
  assert(res.status() === 201 || res.status() === 200, `confirm answered ${res.status()}: ${await res.text()}`);
  await page.waitForURL(/\/bookings\//);
  await expectHeadingFocused(page, "You're going!");
  const token = await tokenOf(page);
  await eventually('the waitlist entry to be fulfilled', async () => {
    const r = await call(base, 'GET', '/api/waitlist/me', token);
    return r.status === 200 && r.body.entries.find((e) => e.entryId === entry.entryId)?.status === 'FULFILLED';
  });
  await page.getByRole('link', { name: 'My bookings' }).first().click();
  await mine.getByTestId('waitlist-entry').filter({ hasText: name }).and(page.locator('[data-status="FULFILLED"]')).waitFor();
  await shot(page, '38-waitlist-fulfilled');
  await close(page);
}
