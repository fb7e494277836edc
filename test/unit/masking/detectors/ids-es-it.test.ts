import { describe, expect, it } from 'vitest';
import { codiceFiscaleCheck, esDni, esNie, itCodiceFiscale } from '../../../../src/masking/detectors/ids-es-it.js';
import { found, POSITIVES } from './examples.js';

describe('es_dni', () => {
  it.each(POSITIVES.es_dni ?? [])('finds %s', (dni) => {
    expect(found(esDni, `DNI ${dni}.`)).toEqual([dni]);
  });

  it('rejects a wrong letter, letters outside the table and pieces of longer tokens', () => {
    for (const text of ['12345678A', '12345678I', '12345678O', '1234567Z', '123456789Z', 'x12345678Z', '12345678ZZ']) {
      expect(found(esDni, text), text).toEqual([]);
    }
  });
});

describe('es_nie', () => {
  it.each(POSITIVES.es_nie ?? [])('finds %s', (nie) => {
    expect(found(esNie, `NIE: ${nie}`)).toEqual([nie]);
  });

  it('rejects a wrong letter, other prefixes and wrong lengths', () => {
    for (const text of ['X1234567A', 'W1234567L', 'X123456L', 'X12345678L', 'AX1234567L']) expect(found(esNie, text), text).toEqual([]);
  });
});

describe('it_codice_fiscale', () => {
  it.each(POSITIVES.it_codice_fiscale ?? [])('finds %s', (cf) => {
    expect(found(itCodiceFiscale, `CF: ${cf}.`)).toEqual([cf]);
  });

  it('computes the check letter from the odd and even tables', () => {
    expect(codiceFiscaleCheck('RSSMRA85T10A562')).toBe('S');
    expect(codiceFiscaleCheck('BNCLRA91M52F205')).toBe('G');
  });

  it('rejects a wrong check letter, a bad month letter and impossible days', () => {
    for (const text of ['RSSMRA85T10A562T', 'RSSMRA85Z10A562S', 'RSSMRA85T00A562S', 'RSSMRA85T32A562S', 'RSSMRA85T72A562S']) {
      const fixed = `${text.slice(0, 15)}${codiceFiscaleCheck(text.slice(0, 15))}`;
      expect(found(itCodiceFiscale, text === 'RSSMRA85T10A562T' ? text : fixed), text).toEqual([]);
    }
  });

  it('rejects wrong lengths and pieces of longer tokens', () => {
    for (const text of ['RSSMRA85T10A562', 'XRSSMRA85T10A562S', 'RSSMRA85T10A562S1', 'RSSMRA85T10A5620']) expect(found(itCodiceFiscale, text), text).toEqual([]);
  });
});
