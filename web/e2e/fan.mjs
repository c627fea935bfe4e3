// The fan's journeys: find an event, pick seats, pay (or be declined), take "best available", lose a
// race, let a hold run out, wait in a waiting room. Each asserts what the fan sees (words, state,
// focus), and most run on a laptop and on a phone.
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  WIDTHS,
  apiCall,
  assert,
  checkA11y,
  expectHeadingFocused,
  holdSelection,
  log,
  newPage,
  openEventBySearch,
  openSeat,
  pages,
  pay,
  pickSeats,
  register,
  shot,
  Skip,
} from './lib.mjs';

const tag = (viewport) => (viewport.width < 700 ? 'phone' : 'laptop');
async function close(...ps) {
  for (const p of ps) {
    await p.context().close();
    pages.delete(p);
  }
}
/** The fan's bearer token, as the app keeps it. */
const tokenOf = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('ticketing.session') ?? 'null')?.accessToken);
/** Chromium's own log lines about failed requests, and the failed responses themselves. */
function watchFailures(page) {
  const failed = [];
  page.on('response', (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error') failed.push(`console: ${m.text()} ${m.location()?.url ?? ''}`);
  });
  return failed;
}

/** Home (keyboard: skip to results) -> a city typed in the search box -> 2 seats -> paid -> limit shown -> my bookings -> cancelled. */
export async function fanBooksAndCancels(base, viewport = WIDTHS.laptop) {
  const t = tag(viewport);
  const page = await newPage(viewport);
  await page.goto(base);
  await page.getByRole('heading', { name: 'Find your next live event' }).waitFor();
  await page.locator('a[href^="/events/"]').first().waitFor();
  // Cancelled and past events are not on the public list.
  assert((await page.getByTestId('results').getByText(/^Cancelled$|^Completed$/).count()) === 0, 'the public list shows a cancelled or completed event');
  await checkA11y(page, `home (${t})`);
  // Keyboard: from the search box, two Tabs reach "Skip to results", which lands on the first result.
  await page.getByRole('searchbox').focus();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  const skipText = await page.evaluate(() => document.activeElement?.textContent?.trim());
  assert(skipText === 'Skip to results', `two Tabs after the search box focus "${skipText}", not the skip link`);
  await page.keyboard.press('Enter');
  const landed = await page.evaluate(() => document.activeElement?.closest('[data-testid="results"]') !== null);
  assert(landed, 'Skip to results did not move focus into the results');
  await shot(page, `01-home-${t}`);

  await register(page, base, `fan-${t}`);
  // A city typed in the search box finds the events in that city.
  await openEventBySearch(page, 'Lisbon', /Aurora Skies/);
  await expectHeadingFocused(page, 'Aurora Skies World Tour');
  const eventUrl = page.url();
  const limitBefore = (await page.getByTestId('limit-line').innerText()).trim();
  assert(/you can take 8/.test(limitBefore), `the limit line before buying reads "${limitBefore}"`);
  await checkA11y(page, `event page with the seat map (${t})`);
  await shot(page, `03-event-${t}`);
  const seats = await pickSeats(page, 2);
  log('picked', seats.join(', '));
  await shot(page, `04-event-selected-${t}`);
  await holdSelection(page);
  await page.waitForURL(/\/checkout$/);
  await expectHeadingFocused(page, 'Checkout');
  await page.getByTestId('hold-countdown').waitFor();
  assert(/\d+:\d\d/.test(await page.getByTestId('hold-countdown').innerText()), 'countdown shows m:ss');
  const summary = await page.getByRole('heading', { name: 'Order summary' }).locator('..').innerText();
  assert(/· row \d+ · seat \d+/.test(summary), `the order summary writes seats as "SECTION · row N · seat M": ${summary}`);
  await checkA11y(page, `checkout (${t})`);
  await shot(page, `05-checkout-${t}`);

  const res = await pay(page, '4242424242424242');
  if (res.status() === 404 || res.status() === 405) {
    await shot(page, `06-checkout-no-booking-service-${t}`);
    throw new Skip(`POST /api/bookings/confirm answered ${res.status()}: the booking service is not deployed on this server`);
  }
  assert(res.status() === 201 || res.status() === 200, `confirm answered ${res.status()}: ${await res.text()}`);
  assert(res.request().headers()['idempotency-key'], 'the payment carries an Idempotency-Key');
  await page.waitForURL(/\/bookings\//);
  await expectHeadingFocused(page, "You're going!");
  const ref = (await page.getByTestId('booking-reference').innerText()).trim();
  assert(ref.length > 0, 'a booking reference is shown');
  await page.getByText('Total paid').waitFor();
  await checkA11y(page, `confirmation (${t})`);
  await shot(page, `06-confirmation-${t}`);

  await page.getByRole('link', { name: 'My bookings' }).first().click();
  await page.waitForURL(/\/me\/bookings$/);
  await expectHeadingFocused(page, 'My bookings');
  const card = page.getByTestId('bookings').locator('li').filter({ hasText: ref }).first();
  await card.waitFor();
  const cardText = await card.innerText();
  assert(/· row \d+ · seat \d+/.test(cardText), `My bookings writes seats as elsewhere: ${cardText}`);
  assert(!seats.some((n) => cardText.includes(n)), `My bookings shows raw seat numbers: ${cardText}`);
  await checkA11y(page, `my bookings (${t})`);
  await shot(page, `07-my-bookings-${t}`);

  // Back on the event, the panel counts the two booked seats against the limit of 8.
  await page.goto(eventUrl);
  await page.getByTestId('limit-line').filter({ hasText: /booked 2 of the 8 .* you can take 6 more/ }).waitFor();
  await page.getByRole('link', { name: 'My bookings' }).first().click();
  await page.waitForURL(/\/me\/bookings$/);
  await page.getByRole('button', { name: 'Cancel booking' }).first().click();
  await page.getByRole('button', { name: 'Yes, cancel it' }).click();
  await page.getByText(/is cancelled/).waitFor();
  await card.getByText('Cancelled', { exact: true }).waitFor();
  await shot(page, `08-my-bookings-cancelled-${t}`);
  await close(page);
}

/** A declined card: the decline said once, the seats free, no "paid" anywhere, not listed as a booking. */
export async function declinedCard(base, viewport = WIDTHS.phone) {
  const t = tag(viewport);
  const page = await newPage(viewport);
  await register(page, base, `declined-${t}`);
  await openEventBySearch(page, 'Los Angeles', /Lakers vs Celtics/);
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
  await shot(page, `09-declined-${t}`);

  // The decline message is said once: after another trip to the checkout and back, it is gone.
  await pickSeats(page, 1);
  await holdSelection(page);
  await page.waitForURL(/\/checkout$/);
  await page.goBack();
  await page.waitForURL(/\/events\//);
  await page.getByRole('heading', { level: 1 }).waitFor();
  await page.locator('svg rect[data-seat]').first().waitFor();
  assert((await page.getByText(/payment was declined/i).count()) === 0, 'the decline message is still shown after going back from the checkout');
  await page.getByRole('link', { name: 'Continue to checkout' }).waitFor();

  // My bookings does not list the attempt as a booking; it is apart, saying nothing was charged.
  await page.getByRole('link', { name: 'My bookings' }).first().click();
  await page.waitForURL(/\/me\/bookings$/);
  await page.getByText('No bookings yet.').waitFor();
  assert((await page.getByTestId('bookings').count()) === 0, 'a declined attempt is listed among the bookings');
  const failed = page.getByTestId('failed-attempts');
  await failed.getByText(/1 declined payment attempt \(nothing charged\)/).click();
  await failed.getByText('Payment declined, nothing charged.').waitFor();
  await checkA11y(page, `my bookings with a declined attempt (${t})`);
  await shot(page, `09b-my-bookings-declined-${t}`);
  await failed.getByRole('link', { name: 'Details' }).click();
  await page.waitForURL(/\/bookings\//);
  await expectHeadingFocused(page, 'Payment declined');
  const text = await page.locator('main').innerText();
  assert(!/\bpaid\b/i.test(text), `the failed booking's page says "paid": ${text}`);
  assert(/nothing charged/i.test(text), 'the failed booking says nothing was charged');
  await shot(page, `09c-declined-booking-${t}`);
  await close(page);
}

/** Best available: the seats and the total first, released, asked again in a cheaper section, accepted. */
export async function bestAvailable(base, viewport = WIDTHS.laptop) {
  const t = tag(viewport);
  const page = await newPage(viewport);
  await register(page, base, `best-${t}`);
  await openEventBySearch(page, 'Lakers');

  if (t === 'laptop') {
    // Keyboard on a zoomed map: Tab onto the map brings the focused seat into view.
    await page.getByRole('button', { name: 'Zoom in' }).click();
    await page.getByRole('button', { name: 'Zoom in' }).click();
    await page.getByRole('button', { name: 'Zoom in' }).click();
    await page.getByRole('button', { name: 'Whole venue' }).focus();
    await page.keyboard.press('Tab');
    await page.waitForTimeout(150);
    const inView = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el?.hasAttribute('data-seat')) return `focus is on ${el?.tagName}`;
      const svg = el.closest('svg').getBoundingClientRect();
      const r = el.getBoundingClientRect();
      return r.left >= svg.left - 1 && r.right <= svg.right + 1 && r.top >= svg.top - 1 && r.bottom <= svg.bottom + 1 ? 'ok' : 'outside the view';
    });
    assert(inView === 'ok', `the seat focused by Tab on a zoomed map: ${inView}`);
    await page.getByRole('button', { name: 'Whole venue' }).click();
  }

  await page.getByLabel('Tickets', { exact: true }).selectOption('3');
  await page.getByRole('button', { name: 'Find 3 seats' }).click();
  const offer = page.getByTestId('best-offer');
  await offer.waitFor();
  assert(/\/events\//.test(page.url()), 'best available went on to the checkout before showing the price');
  const heading = (await offer.getByRole('heading').innerText()).trim();
  assert(/We found 3 seats for you: \$[\d,]+\.\d\d in total/.test(heading), `the offer reads "${heading}"`);
  assert((await offer.getByRole('list', { name: 'Seats found' }).locator('li').count()) === 3, 'the offer lists its 3 seats');
  const focused = await page.evaluate(() => document.activeElement?.id);
  assert(focused === 'offer-heading', `focus is on ${focused}, not on the offer`);
  // The held seats are the fan's own on the map, named so for screen readers.
  await page.locator('svg rect[data-seat][aria-label$="held by you"]').nth(2).waitFor();
  await page.getByRole('list', { name: 'Legend' }).getByText('Your hold').waitFor();
  await shot(page, `19-best-offer-${t}`);

  await offer.getByRole('button', { name: 'Release them and choose again' }).click();
  await offer.waitFor({ state: 'detached' });
  await page.getByText(/The seats were released/).waitFor();
  assert((await page.locator('svg rect[data-seat][aria-label$="held by you"]').count()) === 0, 'released seats still show as the fan\'s hold');

  await page.getByLabel('Tickets', { exact: true }).selectOption('2');
  await page.getByLabel('Section', { exact: true }).selectOption('UPPER');
  await page.getByRole('button', { name: 'Find 2 seats' }).click();
  await offer.waitFor();
  const total = (await offer.getByTestId('offer-total').innerText()).replace(/\s+/g, ' ');
  assert(/\$90\.00/.test(total), `two UPPER seats at $45 total ${total}`);
  await offer.getByRole('button', { name: 'Accept and go to checkout' }).click();
  await page.waitForURL(/\/checkout$/);
  await expectHeadingFocused(page, 'Checkout');
  await page.getByRole('button', { name: 'Pay $90.00' }).waitFor();
  await shot(page, `20-best-accepted-${t}`);
  await close(page);
}

export async function raceForASeat(base) {
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
  await close(a, b);
}

/** A hold runs out on a laptop and on a phone at the same time: warned a minute before, then back on the map. */
export async function expiredHold(shortBase) {
  const one = async (viewport) => {
    const t = tag(viewport);
    const page = await newPage(viewport);
    await register(page, shortBase, `late-${t}`);
    await openEventBySearch(page, 'Hamlet');
    // Two sections, so the two fans do not race for the same seat.
    await pickSeats(page, 1, t === 'phone' ? 'DRESS-CIRCLE' : 'STALLS');
    await holdSelection(page);
    await page.waitForURL(/\/checkout$/);
    await page.getByRole('alert').filter({ hasText: 'Less than a minute' }).waitFor({ timeout: 30000 });
    await shot(page, `11-hold-warning-${t}`);
    await page.waitForURL(/\/events\//, { timeout: 60000 });
    await page.getByText(/hold expired/).waitFor();
    await expectHeadingFocused(page, 'Hamlet');
    assert((await page.getByRole('link', { name: 'Continue to checkout' }).count()) === 0, 'an expired hold is still offered for checkout');
    return page;
  };
  const [a, b] = await Promise.all([one(WIDTHS.laptop), one(WIDTHS.phone)]);
  await shot(a, '12-hold-expired-laptop');
  await shot(b, '12-hold-expired-phone');
  await close(a, b);
}

export async function waitingRoom(base) {
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
  const find = (p) => p.getByRole('button', { name: /^Find \d+ seats?$/ });

  // Fan A comes early, joins the room and is told about the pre-queue; the map is only a preview,
  // and "Find seats" is off with the reason. Nothing asks for A's place before A joined.
  const a = await newPage();
  const failedA = watchFailures(a);
  await register(a, base, 'queue-a');
  await a.goto(eventUrl);
  await a.getByRole('heading', { name }).waitFor();
  const roomA = a.getByTestId('waiting-room');
  await roomA.getByRole('button', { name: 'Join the queue' }).waitFor();
  await roomA.getByRole('button', { name: 'Join the queue' }).click();
  await roomA.getByText(/You are in\. When the sale opens/).waitFor();
  await a.getByRole('img', { name: 'Seat map preview' }).waitFor();
  assert(await find(a).isDisabled(), '"Find seats" is enabled for a fan who is only queued');
  await shot(a, '16-queue-pre-queue');

  // The organizer opens the sale; A's page polls and lets A in (at 600 a minute, within seconds).
  await apiCall(base, 'PUT', `/api/events/${ev.eventId}/status`, admin, { status: 'ON_SALE' });
  await roomA.getByText(/It is your turn/).waitFor({ timeout: 30000 });
  await a.locator(openSeat).first().waitFor({ timeout: 15000 });
  // Once in, nothing on the page still talks about joining the queue.
  assert((await a.getByText(/join the queue/i).count()) === 0, 'the page still asks an admitted fan to join the queue');
  assert(await find(a).isEnabled(), '"Find seats" stays disabled after admission');
  const [seat] = await pickSeats(a, 1, 'Floor');
  log('admitted fan picked', seat);
  await shot(a, '17-queue-admitted');
  const meBeforeJoin = failedA.filter((f) => /\/api\/queue\/events\/.*\/me/.test(f));
  assert(meBeforeJoin.length === 0, `failed queue requests in A's page: ${meBeforeJoin.join('; ')}`);

  // The organizer pauses the room. Fan B (on a phone) never joined: no place is asked for, "Find
  // seats" is off, and the server refuses a hold anyway.
  await apiCall(base, 'PUT', `/api/queue/events/${ev.eventId}`, admin, { paused: true });
  const b = await newPage(WIDTHS.phone);
  const failedB = watchFailures(b);
  await register(b, base, 'queue-b');
  await b.goto(eventUrl);
  const roomB = b.getByTestId('waiting-room');
  await roomB.getByRole('button', { name: 'Join the queue' }).waitFor();
  await b.getByRole('img', { name: 'Seat map preview' }).waitFor();
  assert((await b.locator(openSeat).count()) === 0, 'a fan who is not admitted can pick seats on the map');
  assert(await find(b).isDisabled(), '"Find seats" is enabled for a fan who has not joined');
  await b.getByTestId('find-disabled-reason').filter({ hasText: /Join the queue first/ }).waitFor();
  const refused = await b.evaluate(
    async ({ id, token }) => {
      const r = await fetch('/api/inventory/reservations', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ eventId: id, quantity: 1 }),
      });
      return { status: r.status, body: await r.json().catch(() => ({})) };
    },
    { id: ev.eventId, token: await tokenOf(b) },
  );
  assert(refused.status === 403 && refused.body.error === 'NOT_ADMITTED', `a hold before admission answered ${JSON.stringify(refused)}`);
  assert(!failedB.some((f) => /\/me\b/.test(f)), `B's page asked for a place before joining: ${failedB.join('; ')}`);

  // B joins the paused room: a place, no estimate, the pause said in words, "Find seats" still off.
  await roomB.getByRole('button', { name: 'Join the queue' }).click();
  await roomB.getByText(/The sale is paused by the organizer/).waitFor();
  assert((await roomB.getByText(/Estimated wait/).count()) === 0, 'a paused queue still gives an estimate');
  assert(await find(b).isDisabled(), '"Find seats" is enabled while queued');
  await b.getByTestId('find-disabled-reason').filter({ hasText: /You are in the queue/ }).waitFor();
  await shot(b, '18-queue-paused');

  // The organizer resumes: B is let in, the pause and the invitations are gone.
  await apiCall(base, 'PUT', `/api/queue/events/${ev.eventId}`, admin, { paused: false });
  await roomB.getByText(/It is your turn/).waitFor({ timeout: 40000 });
  assert((await b.getByText(/paused by the organizer|join the queue/i).count()) === 0, 'old queue messages stay after admission');
  assert(await find(b).isEnabled(), '"Find seats" stays disabled after admission');
  await shot(b, '18b-queue-resumed-admitted');

  // The admitted fan A holds the picked seat.
  await holdSelection(a);
  await a.waitForURL(/\/checkout$/);
  await a.getByTestId('hold-countdown').waitFor();
  await close(a, b);
}
