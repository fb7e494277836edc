import { describe, expect, it } from 'vitest';
import { card, cardScheme } from '../../../../src/masking/detectors/card.js';
import { found, POSITIVES } from './examples.js';

/** Appends the Luhn check digit to a partial number. */
function withLuhn(partial: string): string {
  for (let d = 0; d <= 9; d++) {
    const pan = `${partial}${d}`;
    let sum = 0;
    [...pan].reverse().forEach((c, i) => {
      const n = Number(c) * (i % 2 === 1 ? 2 : 1);
      sum += n > 9 ? n - 9 : n;
    });
    if (sum % 10 === 0) return pan;
  }
  throw new Error('unreachable');
}

describe('card', () => {
  it.each(POSITIVES.card ?? [])('finds %s', (pan) => {
    expect(found(card, `pay with ${pan}, thanks`)).toEqual([pan]);
    expect(found(card, `{"pan":"${pan}"}`)).toEqual([pan]);
  });

  it('knows the schemes by prefix and length', () => {
    expect(cardScheme('4111111111111111')).toBe('visa');
    expect(cardScheme('2720999999999999')).toBe('mastercard');
    expect(cardScheme('2721000000000000')).toBeUndefined();
    expect(cardScheme('378282246310005')).toBe('amex');
    expect(cardScheme('3782822463100050')).toBeUndefined(); // Amex is 15 digits
    expect(cardScheme('6221260000000000')).toBe('discover');
    expect(cardScheme('2200000000000000')).toBe('mir');
    expect(cardScheme('9999999999999999')).toBeUndefined();
  });

  it('finds generated numbers for each scheme', () => {
    for (const partial of ['400000000000000', '510000000000000', '222100000000000', '34000000000000', '601100000000000', '352800000000000']) {
      const pan = withLuhn(partial);
      expect(found(card, `n ${pan}`), pan).toEqual([pan]);
    }
  });

  it('rejects a wrong check digit', () => {
    expect(found(card, '4111111111111112')).toEqual([]);
    expect(found(card, '4111 1111 1111 1112')).toEqual([]);
    expect(found(card, '378282246310006')).toEqual([]);
  });

  it('rejects Luhn-valid numbers without a known issuer prefix', () => {
    expect(found(card, '1234567812345670')).toEqual([]);
    expect(found(card, '9999999999999995')).toEqual([]);
    expect(found(card, '0000000000000000')).toEqual([]);
  });

  it('rejects too short or too long runs and pieces of longer ones', () => {
    expect(found(card, '411111111111')).toEqual([]); // 12 digits
    expect(found(card, '41111111111111111111')).toEqual([]); // 20 digits, no 16-digit piece
    expect(found(card, '94111111111111111')).toEqual([]);
    expect(found(card, 'x4111111111111111')).toEqual([]);
    expect(found(card, '4111111111111111x')).toEqual([]);
    expect(found(card, '4111-1111-1111-1111-2222')).toEqual([]);
    expect(found(card, '0.4111111111111111')).toEqual([]);
  });

  it('rejects odd groupings and mixed-up separators', () => {
    expect(found(card, '41 11 11 11 11 11 11 11')).toEqual([]);
    expect(found(card, '4111  1111  1111  1111')).toEqual([]);
    expect(found(card, '4111.1111.1111.1111')).toEqual([]);
  });

  it('masks the number, not a CVV written after it', () => {
    expect(found(card, '4111 1111 1111 1111 123')).toEqual(['4111 1111 1111 1111']);
  });

  it('does not take timestamps or order numbers', () => {
    expect(found(card, 'ts 1700000000000 ms 20240115103000123 order 100000000000000001')).toEqual([]);
  });
});
