import { beforeAll, describe, expect, it } from 'vitest';
import { byGate, checkOffline, loadQueue, parseCode, saveQueue, type OfflineList } from './offlineCheckin';

const b64url = (b: Uint8Array) => btoa(String.fromCharCode(...b)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));

let keys: CryptoKeyPair;
let otherKeys: CryptoKeyPair;
let publicKey: string;

/** A code as the server makes it: TK1.<payload>.<Ed25519 signature>, base64url. */
async function sign(claims: { t: string; e: string; s: string }, k = keys) {
  const payload = new TextEncoder().encode(JSON.stringify(claims));
  const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, k.privateKey, payload));
  return `TK1.${b64url(payload)}.${b64url(sig)}`;
}

// Node 20's WebCrypto signs with Ed25519 as the server does.
beforeAll(async () => {
  keys = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  otherKeys = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  publicKey = b64(new Uint8Array(await crypto.subtle.exportKey('raw', keys.publicKey)));
});

const list = (): OfflineList => ({
  eventId: 'e1',
  publicKey,
  fetchedAt: '2026-12-20T18:00:00Z',
  tickets: [
    { ticketId: 't1', seatNumber: 'A-1-1', status: 'VALID', usedAt: null, gate: null },
    { ticketId: 't2', seatNumber: 'A-1-2', status: 'USED', usedAt: '2026-12-20T18:30:00Z', gate: 'North' },
    { ticketId: 't3', seatNumber: 'A-1-3', status: 'REVOKED', usedAt: null, gate: null },
  ],
});

describe('checking a code without the network', () => {
  it('reads the claims of a code and refuses a malformed one', async () => {
    const code = await sign({ t: 't1', e: 'e1', s: 'A-1-1' });
    expect(parseCode(code)?.claims).toEqual({ t: 't1', e: 'e1', s: 'A-1-1' });
    for (const bad of ['', 'TK1', 'TK2.a.b', 'TK1.a.b', `${code}.x`, 'not a code']) expect(parseCode(bad)).toBeNull();
  });

  it('answers as the server would: admitted, used, revoked, wrong event, forged', async () => {
    const l = list();
    expect((await checkOffline(await sign({ t: 't1', e: 'e1', s: 'A-1-1' }), 'e1', l, [])).result).toBe('ADMITTED');
    const used = await checkOffline(await sign({ t: 't2', e: 'e1', s: 'A-1-2' }), 'e1', l, []);
    expect(used).toMatchObject({ result: 'ALREADY_USED', gate: 'North', usedAt: '2026-12-20T18:30:00Z' });
    expect((await checkOffline(await sign({ t: 't3', e: 'e1', s: 'A-1-3' }), 'e1', l, [])).result).toBe('REVOKED');
    expect((await checkOffline(await sign({ t: 'x9', e: 'e2', s: 'B-1-1' }), 'e1', l, [])).result).toBe('WRONG_EVENT');
    // Signed by another key, or a seat changed under the signature.
    expect((await checkOffline(await sign({ t: 't1', e: 'e1', s: 'A-1-1' }, otherKeys), 'e1', l, [])).result).toBe('INVALID');
    const good = await sign({ t: 't1', e: 'e1', s: 'A-1-1' });
    const [, , sig] = good.split('.');
    const altered = `TK1.${b64url(new TextEncoder().encode(JSON.stringify({ t: 't1', e: 'e1', s: 'A-1-9' })))}.${sig}`;
    expect((await checkOffline(altered, 'e1', l, [])).result).toBe('INVALID');
    // A ticket bought after the download is taken on its signature.
    expect((await checkOffline(await sign({ t: 't4', e: 'e1', s: 'A-1-4' }), 'e1', l, [])).result).toBe('ADMITTED');
  });

  it('remembers the scans made here: a second one is already used, naming this gate', async () => {
    const code = await sign({ t: 't1', e: 'e1', s: 'A-1-1' });
    const queue = [{ code, scannedAt: '2026-12-20T19:00:00Z', gate: 'South', ticketId: 't1', seatNumber: 'A-1-1' }];
    expect(await checkOffline(code, 'e1', list(), queue)).toMatchObject({ result: 'ALREADY_USED', gate: 'South', usedAt: '2026-12-20T19:00:00Z' });
  });

  it('keeps the queue per event and sends it gate by gate', () => {
    const q = [
      { code: 'a', scannedAt: '1', gate: 'N', ticketId: 't1', seatNumber: 's1' },
      { code: 'b', scannedAt: '2', gate: 'S', ticketId: 't2', seatNumber: 's2' },
      { code: 'c', scannedAt: '3', gate: 'N', ticketId: 't3', seatNumber: 's3' },
    ];
    saveQueue('e1', q);
    expect(loadQueue('e1')).toEqual(q);
    expect(loadQueue('e2')).toEqual([]);
    expect([...byGate(q)].map(([g, s]) => [g, s.map((x) => x.code)])).toEqual([
      ['N', ['a', 'c']],
      ['S', ['b']],
    ]);
    saveQueue('e1', []);
    expect(localStorage.getItem('ticketing.checkin.queue.e1')).toBeNull();
  });
});
