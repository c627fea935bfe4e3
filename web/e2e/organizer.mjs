// The organizer's journey, and the API documentation page.
import path from 'node:path';
import { ADMIN_EMAIL, ADMIN_PASSWORD, WIDTHS, apiCall, assert, checkA11y, eventually, log, login, newPage, pages, shot, OUT } from './lib.mjs';

/** The organizer's journey on a laptop, then the same steps on a phone. */
export async function organizer(base) {
  await organizerJourney(base, WIDTHS.laptop, 'laptop');
  await organizerJourney(base, WIDTHS.phone, 'phone');
}

const DEMO_EVENT = 'Lakers vs Celtics';

/** Fails when the page scrolls sideways at the current width. */
async function assertNoSidewaysScroll(page, where) {
  const { sw, w } = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, w: window.innerWidth }));
  assert(sw <= w, `${where}: the page scrolls sideways (${sw} px of content in a ${w} px window)`);
}

/** Fails unless the element is visible and wholly inside the viewport's width. */
async function assertOnScreen(page, locator, what) {
  await locator.waitFor();
  const box = await locator.boundingBox();
  const vw = page.viewportSize().width;
  assert(box && box.x >= 0 && box.x + box.width <= vw, `${what} is off-screen (${JSON.stringify(box)} in a ${vw} px window)`);
}

async function text(locator) {
  return ((await locator.textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

async function organizerJourney(base, viewport, label) {
  const laptop = label === 'laptop';
  const step = (s) => log(`organizer (${label}): ${s}`);
  const snap = (name) => (laptop ? shot(page, name) : Promise.resolve());
  const { accessToken: token } = await apiCall(base, 'POST', '/api/auth/login', null, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  const page = await newPage(viewport);

  // 1. Log in; the events list shows the demo event with its Edit and Sales links in reach.
  step('events list');
  await login(page, base, ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.getByRole('link', { name: 'Organizer' }).click();
  await page.getByRole('heading', { name: 'Organizer', level: 1 }).waitFor();
  await assertOnScreen(page, page.getByRole('link', { name: `Edit ${DEMO_EVENT}` }), `the Edit link of ${DEMO_EVENT}`);
  await assertOnScreen(page, page.getByRole('link', { name: `Sales of ${DEMO_EVENT}` }), `the Sales link of ${DEMO_EVENT}`);
  assert((await text(page.getByRole('link', { name: `Edit ${DEMO_EVENT}` }))) === `Edit ${DEMO_EVENT}`, 'the Edit link has no name');
  if (!laptop) assert((await page.getByRole('table').count()) === 0, 'on a phone the events should be cards, not a wide table');
  else await page.getByRole('table', { name: 'Your events' }).waitFor();
  await assertNoSidewaysScroll(page, `events list (${label})`);
  await checkA11y(page, `organizer events list (${label})`);
  await snap('organizer-01-events');

  // 2. A new event with a waiting room.
  step('new event with a waiting room');
  await page.getByRole('link', { name: '+ New event' }).click();
  const name = `E2E Jazz Night ${label} ${Date.now()}`;
  await page.getByLabel('Event name').fill(name);
  await page.getByLabel('Venue').fill('Blue Note Hall');
  await page.getByLabel('City').fill('Porto');
  await page.getByLabel('Waiting room for this sale').check();
  const admit = page.getByLabel('Admit per minute');
  await admit.fill('0');
  await page.getByText('Admit per minute must be a whole number from 1 to 1,000,000.').waitFor();
  assert(await page.getByRole('button', { name: 'Create event' }).isDisabled(), 'Create event stays enabled with an admission rate of 0');
  await admit.fill('600');
  assert((await page.getByText(/Admit per minute must be/).count()) === 0, 'the rate error stays after a valid rate');
  await page.getByRole('button', { name: 'Create event' }).click();
  await page.waitForURL((u) => /\/admin\/events\/[^/]+$/.test(u.pathname) && !u.pathname.endsWith('/new'));
  const eventId = new URL(page.url()).pathname.split('/').pop();
  await page.getByRole('heading', { name, level: 1 }).waitFor();
  let ev = await apiCall(base, 'GET', `/api/events/${eventId}`);
  assert(ev.waitingRoom?.enabled === true && ev.waitingRoom?.admitPerMinute === 600, `the new event's waiting room is ${JSON.stringify(ev.waitingRoom)}`);

  // 3. "Put on sale" is disabled, with its reason next to it, until a layout is saved.
  step('put on sale disabled before the layout');
  const status = page.getByRole('region', { name: 'Status' });
  const onSale = status.getByRole('button', { name: 'Put on sale' });
  const reason = status.getByText('Save a seat layout first', { exact: false });
  await reason.waitFor();
  await assertOnScreen(page, reason, 'the reason next to Put on sale');
  assert(await onSale.isDisabled(), '"Put on sale" is enabled before any seat layout is saved');
  const describedBy = await onSale.getAttribute('aria-describedby');
  assert(describedBy && (await text(page.locator(`[id="${describedBy}"]`))).startsWith('Save a seat layout first'), 'the disabled button does not point at its reason');
  assert((await status.getByRole('button', { name: 'Mark completed' }).count()) === 0, '"Mark completed" is offered for a future event');
  // The waiting room panel is there, admitting, at the rate given.
  const room = page.getByRole('region', { name: 'Waiting room' });
  await room.getByTestId('queue-rate').filter({ hasText: '600/min' }).waitFor();
  assert((await text(room.getByTestId('queue-state'))) === 'Admitting', 'the new room is not admitting');
  assert((await text(room.getByTestId('queue-waiting'))) === '0', 'a new room has people waiting');
  await checkA11y(page, `organizer editor, new event (${label})`);
  await snap('organizer-02-new-event');

  // 4. Bad layout input: an error per field, no NaN, no negative price, Save disabled.
  step('bad layout input');
  const layout = page.getByRole('region', { name: 'Seat layout' });
  await layout.getByRole('button', { name: 'Save layout' }).waitFor();
  const price1 = page.getByLabel('Section 1 price', { exact: true });
  const rows1 = page.getByLabel('Section 1 rows', { exact: true });
  const seats1 = page.getByLabel('Section 1 seats per row', { exact: true });
  await price1.fill('-5');
  await rows1.fill('');
  await seats1.fill('abc');
  await layout.getByText('The price cannot be negative.').waitFor();
  await layout.getByText('Enter the number of rows.').waitFor();
  await layout.getByText(/^Seats per row must be a whole number from 1 to 500/).waitFor();
  for (const [input, what] of [
    [price1, 'price'],
    [rows1, 'rows'],
    [seats1, 'seats per row'],
  ])
    assert((await input.getAttribute('aria-invalid')) === 'true', `the ${what} input is not marked invalid`);
  await price1.fill('ten');
  await layout.getByText('Enter the price as a number with at most two decimals, like 75 or 75.50.').waitFor();
  await price1.fill('-5');
  await rows1.fill('-3');
  await layout.getByText('Rows must be a whole number from 1 to 200.').waitFor();
  await layout.getByText('Fix the errors above to save the layout.').waitFor();
  assert(await layout.getByRole('button', { name: 'Save layout' }).isDisabled(), 'Save layout is enabled with bad input');
  const shown = await page.locator('main').innerText();
  assert(!/NaN/.test(shown), `the page shows NaN: ${shown.match(/.{0,40}NaN.{0,40}/)?.[0]}`);
  assert(!/-\s?\$/.test(shown), `the page shows a negative price: ${shown.match(/.{0,40}-\s?\$.{0,20}/)?.[0]}`);
  assert((await text(layout.getByTestId('section-summary').first())).startsWith('Seats not counted yet'), 'the bad section still shows a seat count');
  assert((await text(layout.getByTestId('layout-total'))) === '200 seats', `the total counts the bad section: ${await text(layout.getByTestId('layout-total'))}`);
  await snap('organizer-03-layout-errors');
  await checkA11y(page, `organizer editor, layout errors (${label})`);

  // Fixed: the errors go, the count and the price read right, Save is enabled.
  await price1.fill('80');
  await rows1.fill('4');
  await seats1.fill('12');
  await layout.getByTestId('section-summary').first().filter({ hasText: '48 seats · $80.00 each.' }).waitFor();
  assert((await layout.getByText(/cannot be negative|Enter the number of rows|must be a whole number|Fix the errors/).count()) === 0, 'errors stay after the input was fixed');
  assert((await text(layout.getByTestId('layout-total'))) === '248 seats', 'the total is not 248 seats');
  assert(await layout.getByRole('button', { name: 'Save layout' }).isEnabled(), 'Save layout stays disabled after the input was fixed');

  // 5. Save the layout: the reason and the stale hint go, "Put on sale" is enabled.
  step('save the layout');
  await layout.getByRole('button', { name: 'Save layout' }).click();
  await layout.getByText('Layout saved: 248 seats.').waitFor();
  await eventually('Put on sale enabled', () => onSale.isEnabled());
  assert((await page.getByText(/save a seat layout first|lay out the seats below/i).count()) === 0, 'the "lay out the seats" hint stays after the layout was saved');
  assert((await onSale.getAttribute('aria-describedby')) === null, 'Put on sale still points at a reason');
  await snap('organizer-04-layout-saved');
  await assertNoSidewaysScroll(page, `event editor (${label})`);
  await checkA11y(page, `organizer editor, layout saved (${label})`);

  // 6. Put on sale.
  step('put on sale');
  await onSale.click();
  await status.getByText('On Sale', { exact: true }).waitFor();
  assert((await status.getByRole('button', { name: 'Put on sale' }).count()) === 0, 'Put on sale is still offered once on sale');
  assert((await status.getByRole('button', { name: 'Mark completed' }).count()) === 0, '"Mark completed" is offered before the event date');
  await status.getByText('You can mark the event completed once its date has passed.').waitFor();
  await layout.getByText('The layout can only be changed while the event is Upcoming').waitFor();
  assert((await status.getByRole('alert').count()) === 0, 'an error is shown after putting the event on sale');
  ev = await apiCall(base, 'GET', `/api/events/${eventId}`);
  assert(ev.status === 'ON_SALE' && ev.totalSeats === 248, `the API has the event as ${ev.status} with ${ev.totalSeats} seats`);

  // 7. Change only "Admit per minute": it is saved, survives a reload and reaches the API and the queue.
  step('change only the admission rate');
  await admit.fill('1234');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  assert((await page.getByRole('region', { name: 'Details' }).getByRole('alert').count()) === 0, 'saving the rate shows an error');
  await page.reload();
  await page.getByLabel('Admit per minute').waitFor();
  const afterReload = await page.getByLabel('Admit per minute').inputValue();
  assert(afterReload === '1234', `after a reload "Admit per minute" reads ${afterReload}, not 1234`);
  assert(await page.getByLabel('Waiting room for this sale').isChecked(), 'the waiting room is off after the reload');
  ev = await apiCall(base, 'GET', `/api/events/${eventId}`);
  assert(ev.waitingRoom?.admitPerMinute === 1234 && ev.waitingRoom?.enabled === true, `the API has waitingRoom ${JSON.stringify(ev.waitingRoom)}`);
  const q1 = await apiCall(base, 'GET', `/api/queue/events/${eventId}`, token);
  assert(q1.admitPerMinute === 1234, `the queue admits ${q1.admitPerMinute} a minute, not 1234`);
  await room.getByTestId('queue-rate').filter({ hasText: '1,234/min' }).waitFor();

  // 8. Pause the queue, see it paused (focus stays on the control), resume.
  step('pause and resume the queue');
  await room.getByRole('button', { name: 'Pause admissions' }).click();
  await room.getByTestId('queue-state').filter({ hasText: 'Paused' }).waitFor();
  await room.getByText('Admissions are paused: fans keep their places and nobody new is let in.').waitFor();
  const resume = room.getByRole('button', { name: 'Resume admissions' });
  assert(await resume.evaluate((el) => el === document.activeElement), 'the focus left the Pause/Resume button');
  assert((await apiCall(base, 'GET', `/api/queue/events/${eventId}`, token)).paused === true, 'the API does not have the queue paused');
  await snap('organizer-05-queue-paused');
  await resume.click();
  await room.getByTestId('queue-state').filter({ hasText: 'Admitting' }).waitFor();
  await room.getByText('Letting in up to 1,234 fans a minute.').waitFor();
  assert((await apiCall(base, 'GET', `/api/queue/events/${eventId}`, token)).paused === false, 'the API still has the queue paused');

  // 9. The sales dashboard: the queue's live numbers follow a fan who joins while it is paused.
  step('sales dashboard');
  await page.getByRole('link', { name: 'Sales dashboard' }).click();
  await page.getByRole('heading', { name: `Sales: ${name}` }).waitFor();
  await page.getByRole('img', { name: /by section/ }).waitFor();
  const dash = page.getByRole('region', { name: 'Waiting room' });
  await dash.getByTestId('queue-rate').filter({ hasText: '1,234/min' }).waitFor();
  await dash.getByRole('button', { name: 'Pause admissions' }).click();
  await dash.getByTestId('queue-state').filter({ hasText: 'Paused' }).waitFor();
  const fanEmail = `queue-fan-${label}-${Date.now()}@example.com`;
  await apiCall(base, 'POST', '/api/auth/register', null, { email: fanEmail, password: 'correct-horse-1', name: 'Queue Fan' });
  const fan = await apiCall(base, 'POST', '/api/auth/login', null, { email: fanEmail, password: 'correct-horse-1' });
  await apiCall(base, 'POST', `/api/queue/events/${eventId}/join`, fan.accessToken);
  // No reload: the panel polls.
  await dash.getByTestId('queue-waiting').filter({ hasText: /^1$/ }).waitFor({ timeout: 10000 });
  assert((await text(dash.getByTestId('queue-admitted-total'))) === '0', 'a fan was admitted while the queue was paused');
  await snap('organizer-06-sales-queue-paused');
  await dash.getByRole('button', { name: 'Resume admissions' }).click();
  await dash.getByTestId('queue-admitted-total').filter({ hasText: /^1$/ }).waitFor({ timeout: 15000 });
  await dash.getByTestId('queue-waiting').filter({ hasText: /^0$/ }).waitFor({ timeout: 10000 });
  await dash.getByTestId('queue-admitted').filter({ hasText: /^1$/ }).waitFor();
  const stats = await page.locator('main').innerText();
  for (const want of ['Revenue', 'Available', 'Waiting', 'Admitted now', 'Admission rate']) assert(stats.toLowerCase().includes(want.toLowerCase()), `the dashboard does not show ${want}`);
  await assertNoSidewaysScroll(page, `sales dashboard (${label})`);
  await checkA11y(page, `organizer sales dashboard (${label})`);
  await snap('organizer-07-sales');

  // 10. Cancel the sale: the admitted fan has bought a seat; cancelling the event refunds it.
  step('cancel the event and refund');
  const { reservations } = await apiCall(base, 'POST', '/api/inventory/reservations', fan.accessToken, { eventId, quantity: 1 });
  const paid = await fetch(`${base}/api/bookings/confirm`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${fan.accessToken}`, 'idempotency-key': `guide-${label}-${Date.now()}` },
    body: JSON.stringify({
      reservationIds: reservations.map((r) => r.reservationId),
      paymentMethod: { type: 'CREDIT_CARD', cardNumber: '4242424242424242', expiryMonth: 12, expiryYear: new Date().getFullYear() + 2, cvv: '123' },
    }),
  });
  const booking = await paid.json();
  assert(paid.status === 201 && booking.status === 'CONFIRMED', `the fan's purchase answered ${paid.status} ${JSON.stringify(booking)}`);
  await page.goto(`${base}/admin/events/${eventId}`);
  await page.getByRole('button', { name: 'Cancel event' }).click();
  await page.getByText('Cancel the event and refund every booking?').waitFor();
  assert(await page.getByRole('button', { name: 'No' }).evaluate((b) => b === document.activeElement), 'focus is not on "No" when asked to confirm the cancellation');
  await page.getByRole('button', { name: 'Yes, cancel it' }).click();
  await page.getByText('Cancelled', { exact: true }).first().waitFor();
  assert((await page.getByRole('button', { name: 'Put on sale' }).count()) === 0, 'a cancelled event still offers "Put on sale"');
  assert((await page.getByRole('button', { name: /admissions$/ }).count()) === 0, 'a cancelled event still offers to pause or resume its waiting room');
  await eventually('the fan\'s booking to be cancelled and refunded', async () => {
    const b = await apiCall(base, 'GET', `/api/bookings/${booking.bookingId}`, fan.accessToken);
    return b.status === 'CANCELLED' && b.paymentStatus === 'REFUNDED';
  }, 30000);
  await snap('organizer-08-cancelled');

  await page.context().close();
  pages.delete(page);
}

/** The interactive API page renders from the embedded Swagger UI and lists the contract's endpoints. */
export async function apiDocs(base) {
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

