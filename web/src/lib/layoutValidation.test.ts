import { describe, expect, it } from 'vitest';
import { buildLayout, checkLayout, checkSection, parseCount, parsePrice, type SectionDraft } from './layoutValidation';

const d = (over: Partial<SectionDraft> = {}): SectionDraft => ({
  key: 'k',
  section: 'A',
  seatType: 'REGULAR',
  price: '50.00',
  rows: '2',
  seatsPerRow: '3',
  ...over,
});

describe('layout input validation', () => {
  it('parses prices and counts strictly', () => {
    expect(parsePrice('75')).toBe(75);
    expect(parsePrice(' 75.5 ')).toBe(75.5);
    expect(parsePrice('0')).toBe(0);
    for (const bad of ['', '-5', 'abc', '1e3', '12.345', '1,5', 'NaN', 'Infinity']) expect(parsePrice(bad)).toBeNull();
    expect(parseCount('10', 1, 200)).toBe(10);
    for (const bad of ['', '0', '-3', '2.5', 'x', '201']) expect(parseCount(bad, 1, 200)).toBeNull();
  });

  it('accepts a good section and counts its seats', () => {
    const c = checkSection(d());
    expect(c.valid).toBe(true);
    expect(c.errors).toEqual({});
    expect(c.seats).toBe(6);
    expect(c.price).toBe(50);
    expect(checkSection(d({ seatsPerRow: '18, 20, 22', rows: '' })).sizes).toEqual([18, 20, 22]);
  });

  it('names each bad field with a sentence and never yields NaN or a negative price', () => {
    const c = checkSection(d({ price: '-5', rows: '', seatsPerRow: 'abc' }));
    expect(c.valid).toBe(false);
    expect(c.errors.price).toBe('The price cannot be negative.');
    expect(c.errors.rows).toBe('Enter the number of rows.');
    expect(c.errors.seatsPerRow).toMatch(/^Seats per row must be a whole number/);
    expect(c.seats).toBeNull();
    expect(c.price).toBeNull();
    for (const msg of Object.values(c.errors)) expect(msg).toMatch(/^[A-Z].*\.$/);

    expect(checkSection(d({ rows: '-2' })).errors.rows).toMatch(/whole number from 1 to 200/);
    expect(checkSection(d({ rows: 'x' })).errors.rows).toMatch(/whole number/);
    expect(checkSection(d({ seatsPerRow: '-4' })).errors.seatsPerRow).toMatch(/whole number/);
    expect(checkSection(d({ seatsPerRow: '' })).errors.seatsPerRow).toBe('Enter the seats per row.');
    expect(checkSection(d({ seatsPerRow: '10, abc' })).errors.seatsPerRow).toMatch(/one number per row/);
    expect(checkSection(d({ price: '' })).errors.price).toMatch(/Enter a price/);
    expect(checkSection(d({ price: 'ten' })).errors.price).toMatch(/at most two decimals/);
    expect(checkSection(d({ price: '12.345' })).errors.price).toMatch(/at most two decimals/);
    expect(checkSection(d({ section: '  ' })).errors.section).toBe('Give the section a name.');
  });

  it('checks the whole layout', () => {
    expect(checkLayout([]).message).toMatch(/at least one section/);
    const dup = checkLayout([d(), d({ key: 'k2' })]);
    expect(dup.valid).toBe(false);
    expect(dup.sections[0].errors.section).toBeUndefined();
    expect(dup.sections[1].errors.section).toBe('Another section is already called A.');
    const bad = checkLayout([d(), d({ key: 'k2', section: 'B', price: '-1' })]);
    expect(bad.valid).toBe(false);
    expect(bad.total).toBe(6);
    expect(bad.message).toMatch(/Fix the errors/);
    expect(buildLayout([d(), d({ key: 'k2', section: 'B', price: '-1' })])).toBeNull();
    const big = checkLayout([d({ rows: '200', seatsPerRow: '500' }), d({ key: 'k2', section: 'B', rows: '200', seatsPerRow: '500' })]);
    expect(big.valid).toBe(false);
    expect(big.message).toMatch(/at most 100,000 seats/);
  });

  it('builds the API layout from a valid draft', () => {
    expect(buildLayout([d({ section: ' A ' }), d({ key: 'k2', section: 'B', seatType: 'VIP', price: '120.5', seatsPerRow: '4, 5' })])).toEqual({
      sections: [
        { section: 'A', seatType: 'REGULAR', price: 50, rows: [{ rowNumber: 1, seats: 3 }, { rowNumber: 2, seats: 3 }] },
        { section: 'B', seatType: 'VIP', price: 120.5, rows: [{ rowNumber: 1, seats: 4 }, { rowNumber: 2, seats: 5 }] },
      ],
    });
  });
});
