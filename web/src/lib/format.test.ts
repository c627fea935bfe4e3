import { describe, expect, it } from 'vitest';
import { seatName, sentence } from './format';

describe('format', () => {
  it('writes every error as a sentence', () => {
    expect(sentence('invalid email or password')).toBe('Invalid email or password.');
    expect(sentence('Seats are gone.')).toBe('Seats are gone.');
    expect(sentence('expiryYear: the card has expired')).toBe('Expiry year: the card has expired.');
    expect(sentence('')).toBe('');
  });
  it('writes a seat one way everywhere', () => {
    expect(seatName({ section: 'STALLS', rowNumber: 5, seatNumber: 'STALLS-5-12' })).toBe('STALLS · row 5 · seat 12');
  });
});
