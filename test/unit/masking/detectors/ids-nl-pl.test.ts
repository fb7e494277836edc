import { describe, expect, it } from 'vitest';
import { weightedSum } from '../../../../src/masking/detectors/checksums.js';
import { bsnValid, nlBsn, peselValid, plPesel } from '../../../../src/masking/detectors/ids-nl-pl.js';
import { found, POSITIVES } from './examples.js';

/** Completes a PESEL with its check digit. */
const pesel = (first10: string): string => `${first10}${(10 - (weightedSum(first10, [1, 3, 7, 9, 1, 3, 7, 9, 1, 3]) % 10)) % 10}`;

describe('nl_bsn', () => {
  it.each(POSITIVES.nl_bsn ?? [])('finds %s', (bsn) => {
    expect(found(nlBsn, `BSN ${bsn}.`)).toEqual([bsn]);
  });

  it('applies the 11-proef with weight −1 on the last digit', () => {
    expect(bsnValid('123456782')).toBe(true);
    expect(bsnValid('123456783')).toBe(false);
    expect(bsnValid('000000000')).toBe(false); // sum 0
  });

  it('rejects wrong lengths and pieces of longer numbers', () => {
    for (const text of ['12345678', '1234567820', '0123456782', 'x123456782', '123456782x', '1.123456782']) expect(found(nlBsn, text), text).toEqual([]);
  });
});

describe('pl_pesel', () => {
  it.each(POSITIVES.pl_pesel ?? [])('finds %s', (value) => {
    expect(found(plPesel, `PESEL ${value}.`)).toEqual([value]);
  });

  it('reads the century from the month', () => {
    expect(peselValid(pesel('0222280123'))).toBe(true); // 28 February 2002
    expect(peselValid(pesel('0222290123'))).toBe(false); // 29 February 2002
    expect(peselValid(pesel('0022290123'))).toBe(true); // 29 February 2000, a leap year
    expect(peselValid(pesel('0082290123'))).toBe(false); // 29 February 1800, not a leap year
    expect(peselValid(pesel('9912310123'))).toBe(true); // 31 December 1999
    expect(peselValid(pesel('2532010123'))).toBe(true); // 1 December 2025
  });

  it('rejects impossible dates and a wrong check digit', () => {
    for (const first10 of ['4413140135', '4405320135', '4400140135', '4404310135']) {
      expect(found(plPesel, pesel(first10)), first10).toEqual([]);
    }
    expect(found(plPesel, '44051401358')).toEqual([]);
  });

  it('rejects wrong lengths and pieces of longer numbers', () => {
    for (const text of ['4405140135', '440514013590', 'x44051401359', '44051401359-1']) expect(found(plPesel, text), text).toEqual([]);
  });
});
