import { render, screen, waitFor, fireEvent } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CheckoutForm, luhnOk, type CheckoutFormProps } from './CheckoutForm';
import { jsonResponse } from '../test/fixtures';
import { startHold, getHold, rotateIdempotencyKey } from '../lib/hold';

const booking = {
  bookingId: 'b1',
  bookingReference: 'BK-1',
  eventId: 'e1',
  userId: 'u1',
  seats: [],
  totalAmount: 170,
  currency: 'USD',
  status: 'CONFIRMED',
  paymentId: 'p1',
  paymentStatus: 'SUCCESS',
  createdAt: '',
  confirmedAt: '',
};

function setup(over: Partial<CheckoutFormProps> = {}) {
  const hold = startHold(
    { reservations: [{ reservationId: 'r1' } as never, { reservationId: 'r2' } as never], expiresAt: new Date(Date.now() + 600_000).toISOString(), totalAmount: 170 },
    'e1',
    'Hamlet',
  );
  const props: CheckoutFormProps = {
    reservationIds: ['r1', 'r2'],
    totalAmount: 170,
    getIdempotencyKey: () => getHold()!.idempotencyKey,
    rotateIdempotencyKey: () => void rotateIdempotencyKey(),
    onPaid: vi.fn(),
    onHoldLost: vi.fn(),
    inFlightRetryMs: 1,
    ...over,
  };
  render(<CheckoutForm {...props} />);
  return { props, hold };
}

async function fillCard(number = '4242424242424242') {
  const user = userEvent.setup();
  await user.type(screen.getByLabelText('Card number'), number);
  await user.type(screen.getByLabelText('CVV'), '123');
  return user;
}

const keysSent = (f: ReturnType<typeof vi.fn>) => f.mock.calls.map((c) => (c[1] as RequestInit).headers as Record<string, string>).map((h) => h['Idempotency-Key']);

afterEach(() => vi.unstubAllGlobals());

describe('CheckoutForm', () => {
  it('hints the test cards and fills one in on click', async () => {
    setup();
    const user = userEvent.setup();
    expect(screen.getByText(/always declined/)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: '4242 4242 4242 4242' }));
    expect(screen.getByLabelText('Card number')).toHaveValue('4242 4242 4242 4242');
  });

  it('refuses a card number that fails the Luhn check before calling the API', async () => {
    const fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
    setup();
    const user = await fillCard('4242424242424241');
    await user.click(screen.getByRole('button', { name: /^Pay/ }));
    expect(screen.getByText('Enter a valid card number.')).toBeInTheDocument();
    expect(fetchMock).not.toHaveBeenCalled();
    expect(luhnOk('4000000000000002')).toBe(true);
  });

  it('pays once with the reservations, the card and an Idempotency-Key', async () => {
    const fetchMock = vi.fn().mockResolvedValue(jsonResponse(201, booking));
    vi.stubGlobal('fetch', fetchMock);
    const { props, hold } = setup();
    const user = await fillCard();
    await user.click(screen.getByRole('button', { name: 'Pay $170.00' }));
    await waitFor(() => expect(props.onPaid).toHaveBeenCalledWith(booking));
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('/api/bookings/confirm');
    expect((init.headers as Record<string, string>)['Idempotency-Key']).toBe(hold.idempotencyKey);
    expect(JSON.parse(init.body)).toMatchObject({
      reservationIds: ['r1', 'r2'],
      paymentMethod: { type: 'CREDIT_CARD', cardNumber: '4242424242424242', cvv: '123' },
    });
  });

  it('a double click sends a single request', async () => {
    let resolve!: (r: Response) => void;
    const fetchMock = vi.fn().mockReturnValue(new Promise<Response>((r) => (resolve = r)));
    vi.stubGlobal('fetch', fetchMock);
    const { props } = setup();
    await fillCard();
    const form = screen.getByRole('form', { name: 'Payment' });
    fireEvent.submit(form);
    fireEvent.submit(form);
    fireEvent.click(screen.getByRole('button', { name: /Processing|Pay/ }));
    resolve(jsonResponse(201, booking));
    await waitFor(() => expect(props.onPaid).toHaveBeenCalledTimes(1));
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it('keeps the same Idempotency-Key across a retry after a network failure', async () => {
    const fetchMock = vi.fn().mockRejectedValueOnce(new TypeError('Failed to fetch')).mockResolvedValueOnce(jsonResponse(200, booking));
    vi.stubGlobal('fetch', fetchMock);
    const { props, hold } = setup();
    const user = await fillCard();
    await user.click(screen.getByRole('button', { name: 'Pay $170.00' }));
    expect(await screen.findByText(/never be charged twice/)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Retry payment of $170.00' }));
    await waitFor(() => expect(props.onPaid).toHaveBeenCalledTimes(1));
    expect(keysSent(fetchMock)).toEqual([hold.idempotencyKey, hold.idempotencyKey]);
  });

  it('asks again with the same key while the first attempt is still in flight', async () => {
    const fetchMock = vi
      .fn()
      .mockResolvedValueOnce(jsonResponse(409, { error: 'IDEMPOTENCY_KEY_IN_USE', message: 'in flight' }))
      .mockResolvedValueOnce(jsonResponse(200, booking));
    vi.stubGlobal('fetch', fetchMock);
    const { props, hold } = setup();
    const user = await fillCard();
    await user.click(screen.getByRole('button', { name: 'Pay $170.00' }));
    await waitFor(() => expect(props.onPaid).toHaveBeenCalledTimes(1));
    expect(keysSent(fetchMock)).toEqual([hold.idempotencyKey, hold.idempotencyKey]);
  });

  it('a declined card sends the fan back with the reason', async () => {
    const fetchMock = vi
      .fn()
      .mockResolvedValue(jsonResponse(402, { error: 'PAYMENT_FAILED', message: 'card declined', paymentId: 'p', declineCode: 'CARD_DECLINED' }));
    vi.stubGlobal('fetch', fetchMock);
    const { props } = setup();
    const user = await fillCard('4000000000000002');
    await user.click(screen.getByRole('button', { name: 'Pay $170.00' }));
    await waitFor(() => expect(props.onHoldLost).toHaveBeenCalledTimes(1));
    expect(vi.mocked(props.onHoldLost).mock.calls[0][0]).toMatch(/declined \(card declined\).*not charged.*released/);
  });

  it('an expired hold sends the fan back to the map', async () => {
    vi.stubGlobal('fetch', vi.fn().mockResolvedValue(jsonResponse(409, { error: 'RESERVATION_EXPIRED', message: 'Your reservation has expired.' })));
    const { props } = setup();
    const user = await fillCard();
    await user.click(screen.getByRole('button', { name: 'Pay $170.00' }));
    await waitFor(() => expect(props.onHoldLost).toHaveBeenCalledWith(expect.stringMatching(/expired.*pick your seats again/)));
  });

  it('shows the API message of a refused request, never raw JSON, and uses a new key for corrected details', async () => {
    const fetchMock = vi
      .fn()
      .mockResolvedValueOnce(jsonResponse(400, { error: 'VALIDATION_ERROR', message: 'expiryYear: the card has expired', field: 'expiryYear' }))
      .mockResolvedValueOnce(jsonResponse(201, booking));
    vi.stubGlobal('fetch', fetchMock);
    const { props } = setup();
    const user = await fillCard();
    await user.click(screen.getByRole('button', { name: 'Pay $170.00' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Expiry year: the card has expired.');
    expect(screen.getByRole('alert').textContent).not.toContain('{');
    await user.click(screen.getByRole('button', { name: 'Pay $170.00' }));
    await waitFor(() => expect(props.onPaid).toHaveBeenCalled());
    const [k1, k2] = keysSent(fetchMock);
    expect(k1).not.toBe(k2);
  });
});
