import { describe, expect, it } from 'vitest';
import { iban, IBAN_LENGTHS, ibanValid } from '../../../../src/masking/detectors/iban.js';
import { mod97 } from '../../../../src/masking/detectors/checksums.js';
import { found, POSITIVES } from './examples.js';

/** Builds a valid IBAN for a country and BBAN by computing the check digits. */
function makeIban(country: string, bban: string): string {
  const numeric = `${bban}${country}00`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  return `${country}${String(98 - mod97(numeric)).padStart(2, '0')}${bban}`;
}

const SEPA = 'AD AT BE BG CH CY CZ DE DK EE ES FI FR GB GI GR HR HU IE IS IT LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS SE SI SK SM VA AL'.split(' ');

describe('iban', () => {
  it.each(POSITIVES.iban ?? [])('finds %s', (value) => {
    expect(found(iban, `IBAN: ${value}.`)).toEqual([value]);
    expect(found(iban, `{"iban":"${value}"}`)).toEqual([value]);
  });

  it('knows the length of every SEPA country', () => {
    for (const country of SEPA) expect(IBAN_LENGTHS[country], country).toBeGreaterThanOrEqual(15);
  });

  it('finds a generated IBAN of every registered length, grouped and not', () => {
    for (const [country, length] of Object.entries(IBAN_LENGTHS)) {
      const value = makeIban(country, '1'.repeat(length - 4));
      const grouped = value.replace(/(.{4})(?=.)/g, '$1 ');
      expect(found(iban, `to ${value} now`), value).toEqual([value]);
      expect(found(iban, `to ${grouped} now`), grouped).toEqual([grouped]);
    }
  });

  it('rejects a wrong check, a wrong length for the country and unknown countries', () => {
    expect(ibanValid('GB82WEST12345698765432')).toBe(true);
    expect(found(iban, 'GB82WEST12345698765433')).toEqual([]);
    expect(found(iban, 'GB28WEST12345698765432')).toEqual([]);
    expect(found(iban, 'DE8937040044053201300')).toEqual([]); // 21 characters
    expect(found(iban, 'DE893704004405320130001')).toEqual([]); // 23 characters
    expect(found(iban, 'XX82WEST12345698765432')).toEqual([]);
  });

  it('validates the printed and the electronic form alike, and nothing but capitals and digits', () => {
    expect(ibanValid('DE89 3704 0044 0532 0130 00')).toBe(true);
    expect(ibanValid('DE89370400440532013000')).toBe(true);
    expect(ibanValid('de89370400440532013000')).toBe(false);
    expect(ibanValid('DE8937040044053201300-')).toBe(false);
    expect(ibanValid('DE89370400440532013001')).toBe(false);
    expect(ibanValid('D189370400440532013000')).toBe(false);
    expect(ibanValid('DE8')).toBe(false);
    expect(ibanValid('')).toBe(false);
  });

  it('stops at the country length instead of running into the next word', () => {
    expect(found(iban, 'DE89 3704 0044 0532 0130 00 EUR 1200')).toEqual(['DE89 3704 0044 0532 0130 00']);
    expect(found(iban, 'NL91 ABNA 0417 1643 00 ABCD')).toEqual(['NL91 ABNA 0417 1643 00']);
  });

  it('does not match inside a longer token or with odd spacing', () => {
    expect(found(iban, 'xDE89370400440532013000')).toEqual([]);
    expect(found(iban, 'DE89370400440532013000x')).toEqual([]);
    expect(found(iban, 'DE89  3704 0044 0532 0130 00')).toEqual([]);
    expect(found(iban, 'DE 89 3704 0044 0532 0130 00')).toEqual([]);
  });

  it('leaves lowercase and code-like strings alone', () => {
    expect(found(iban, 'de89370400440532013000 and GB00 and AB12CDEF')).toEqual([]);
  });
});
