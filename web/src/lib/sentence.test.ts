import { describe, expect, it } from 'vitest';
import { sentence } from './format';

describe('sentence', () => {
  it('capitalises the first letter and ends with a full stop', () => {
    expect(sentence('an event with no seat layout cannot go on sale: save its seats first')).toBe(
      'An event with no seat layout cannot go on sale: save its seats first.',
    );
  });
  it('leaves a finished sentence alone', () => {
    expect(sentence('Saved already.')).toBe('Saved already.');
    expect(sentence('Really?')).toBe('Really?');
  });
  it('copes with empty input', () => {
    expect(sentence('')).toBe('');
    expect(sentence(undefined)).toBe('');
    expect(sentence('  ')).toBe('');
  });
});
