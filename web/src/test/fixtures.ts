import type { Seat } from '../api/types';

/** Sections of `rows` x `perRow` seats, seat numbers like the API's ("A-1-3"). */
export function makeSeats(spec: { section: string; rows: number; perRow: number; price: number; seatType?: Seat['seatType'] }[]): Seat[] {
  const out: Seat[] = [];
  for (const s of spec)
    for (let r = 1; r <= s.rows; r++)
      for (let i = 1; i <= s.perRow; i++)
        out.push({
          seatId: `${s.section}-${r}-${i}-id`,
          seatNumber: `${s.section}-${r}-${i}`,
          section: s.section,
          rowNumber: r,
          seatType: s.seatType ?? 'REGULAR',
          price: s.price,
          status: 'AVAILABLE',
        });
  return out;
}

export function jsonResponse(status: number, body?: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

/** A JWT-shaped token (unsigned) that expires in `secs`. */
export function fakeJwt(secs = 3600, sub = 'u1'): string {
  const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, role: 'USER', exp: Math.floor(Date.now() / 1000) + secs, iat: 0, iss: 't' })}.sig`;
}
