// The organizer's journey, and the API documentation page.
import path from 'node:path';
import { ADMIN_EMAIL, ADMIN_PASSWORD, WIDTHS, Skip, apiCall, assert, holdSelection, log, newPage, openEventBySearch, openSeat, pages, pay, pickSeats, register, login, shot , OUT } from './lib.mjs';

export async function organizer(base) {
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

