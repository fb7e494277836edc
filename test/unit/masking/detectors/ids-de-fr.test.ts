import { describe, expect, it } from 'vitest';
import { iso7064Mod11_10, mod97 } from '../../../../src/masking/detectors/checksums.js';
import { deTaxId, frNir } from '../../../../src/masking/detectors/ids-de-fr.js';
import { found, POSITIVES } from './examples.js';

describe('de_tax_id', () => {
  it.each(POSITIVES.de_tax_id ?? [])('finds %s', (id) => {
    expect(found(deTaxId, `Steuer-IdNr.: ${id}`)).toEqual([id]);
    expect(found(deTaxId, `{"steuerId":"${id}"}`)).toEqual([id]);
  });

  it('accepts a digit three times when not all in a row', () => {
    const first10 = '1121345678'; // 1 at positions 0, 1, 3
    const id = `${first10}${iso7064Mod11_10(first10)}`;
    expect(found(deTaxId, id)).toEqual([id]);
  });

  it('rejects a wrong check digit', () => {
    expect(found(deTaxId, '86095742718')).toEqual([]);
  });

  it('rejects a leading zero and a broken digit-frequency rule even with the right check digit', () => {
    for (const first10 of ['0609574271', '1234567890', '1122345678', '1112345678', '1111234567']) {
      const id = `${first10}${iso7064Mod11_10(first10)}`;
      expect(found(deTaxId, id), id).toEqual([]);
    }
  });

  it('rejects wrong lengths and pieces of longer numbers', () => {
    for (const text of ['8609574271', '860957427191', '+86095742719', 'x86095742719', '1.86095742719']) expect(found(deTaxId, text), text).toEqual([]);
  });
});

describe('fr_nir', () => {
  it.each(POSITIVES.fr_nir ?? [])('finds %s', (nir) => {
    expect(found(frNir, `NIR ${nir}.`)).toEqual([nir]);
  });

  it('handles Corsica and overseas départements', () => {
    for (const [head, corsican] of [['1850519123456', '1 85 05 2A 123 456'], ['1850518123456', '1 85 05 2B 123 456']] as const) {
      const key = String(97 - mod97(head)).padStart(2, '0');
      expect(found(frNir, `${corsican} ${key}`), corsican).toEqual([`${corsican} ${key}`]);
    }
    const overseas = '2870497112345';
    const nir = `2 87 04 971 12 345 ${String(97 - mod97(overseas)).padStart(2, '0')}`;
    expect(found(frNir, nir)).toEqual([nir]);
  });

  it('rejects a wrong key, impossible months and a bad sex digit', () => {
    expect(found(frNir, '2 55 08 14 168 025 39')).toEqual([]);
    for (const head of ['2550014168025', '2551314168025', '5550814168025']) {
      const nir = `${head}${String(97 - mod97(head)).padStart(2, '0')}`;
      expect(found(frNir, nir), nir).toEqual([]);
    }
  });

  it('rejects wrong lengths and pieces of longer numbers', () => {
    for (const text of ['25508141680253', '2550814168025380', 'x255081416802538', '255081416802538x']) expect(found(frNir, text), text).toEqual([]);
  });
});
