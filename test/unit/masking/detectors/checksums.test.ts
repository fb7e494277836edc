import { describe, expect, it } from 'vitest';
import { compact, isCalendarDate, iso7064Mod11_10, luhnValid, mod97, weightedSum } from '../../../../src/masking/detectors/checksums.js';

describe('checksums', () => {
  it('luhnValid', () => {
    expect(luhnValid('79927398713')).toBe(true); // the textbook example
    expect(luhnValid('79927398710')).toBe(false);
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111-1111')).toBe(false);
    expect(luhnValid('')).toBe(false);
  });

  it('mod97 handles numbers far beyond 2^53', () => {
    expect(mod97('3214282912345698765432161182')).toBe(1); // GB82WEST… rearranged
    expect(mod97('97')).toBe(0);
    expect(mod97('12a')).toBeNaN();
    expect(Number(BigInt('123456789012345678901234567890') % 97n)).toBe(mod97('123456789012345678901234567890'));
  });

  it('iso7064Mod11_10', () => {
    expect(iso7064Mod11_10('8609574271')).toBe(9);
    expect(iso7064Mod11_10('4703689281')).toBe(6);
  });

  it('weightedSum and compact', () => {
    expect(weightedSum('123', [3, 2, 1])).toBe(10);
    expect(compact('12 34-56.78/9(0)')).toBe('1234567890');
  });

  it('isCalendarDate', () => {
    expect(isCalendarDate(2024, 2, 29)).toBe(true);
    expect(isCalendarDate(2023, 2, 29)).toBe(false);
    expect(isCalendarDate(1900, 2, 29)).toBe(false);
    expect(isCalendarDate(2000, 2, 29)).toBe(true);
    expect(isCalendarDate(2024, 4, 31)).toBe(false);
    expect(isCalendarDate(2024, 13, 1)).toBe(false);
    expect(isCalendarDate(2024, 1, 0)).toBe(false);
  });
});
