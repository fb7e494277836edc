import { describe, expect, it } from 'vitest';
import { nhsCheckDigit, ukNhs, ukNino, usSsn } from '../../../../src/masking/detectors/ids-uk-us.js';
import { found, POSITIVES } from './examples.js';

describe('us_ssn', () => {
  it.each(POSITIVES.us_ssn ?? [])('finds %s', (ssn) => {
    expect(found(usSsn, `SSN ${ssn}.`)).toEqual([ssn]);
    expect(found(usSsn, `{"ssn":"${ssn}"}`)).toEqual([ssn]);
  });

  it('rejects never-issued areas, groups and serials', () => {
    for (const ssn of ['000-12-3456', '666-12-3456', '900-12-3456', '999-12-3456', '123-00-4567', '123-45-0000']) {
      expect(found(usSsn, ssn), ssn).toEqual([]);
    }
  });

  it('does not take the undashed form, other groupings or pieces of longer tokens', () => {
    for (const text of ['123456789', '123 45 6789', '12-345-6789', '1123-45-6789', '123-45-67890', 'x123-45-6789', '123-45-6789-1', '2024-01-15']) {
      expect(found(usSsn, text), text).toEqual([]);
    }
  });
});

describe('uk_nino', () => {
  it.each(POSITIVES.uk_nino ?? [])('finds %s', (nino) => {
    expect(found(ukNino, `NI number: ${nino}.`)).toEqual([nino]);
  });

  it('applies the prefix rules', () => {
    // D F I Q U V never first or second; O never second; BG GB NK KN TN NT ZZ never issued.
    const bad = ['DA123456A', 'FA123456A', 'IA123456A', 'QQ123456C', 'UA123456A', 'VA123456A', 'AD123456A', 'AO123456A', 'BG123456A', 'GB123456A', 'NK123456A', 'KN123456A', 'TN123456A', 'NT123456A', 'ZZ123456A'];
    for (const nino of bad) expect(found(ukNino, nino), nino).toEqual([]);
    expect(found(ukNino, 'OA123456A')).toEqual(['OA123456A']);
  });

  it('rejects a bad suffix, wrong lengths, lowercase and pieces of longer tokens', () => {
    for (const text of ['AB123456E', 'AB12345C', 'AB1234567C', 'ab123456c', 'XAB123456C', 'AB123456CD', 'AB123456C1']) {
      expect(found(ukNino, text), text).toEqual([]);
    }
  });
});

describe('uk_nhs', () => {
  it.each(POSITIVES.uk_nhs ?? [])('finds %s', (nhs) => {
    expect(found(ukNhs, `NHS no. ${nhs}, ward 7`)).toEqual([nhs]);
  });

  it('computes the modulus 11 check digit', () => {
    expect(nhsCheckDigit('943476591')).toBe(9);
    expect(nhsCheckDigit('401023213')).toBe(7);
  });

  it('rejects a wrong check digit and numbers whose check would be 10', () => {
    expect(found(ukNhs, '943 476 5918')).toEqual([]);
    // Weighted sum 12: 11 − (12 mod 11) = 10, so no tenth digit is valid.
    const first9 = '000000006';
    expect(nhsCheckDigit(first9)).toBeUndefined();
    for (let d = 0; d <= 9; d++) expect(found(ukNhs, `${first9.slice(0, 3)} ${first9.slice(3, 6)} ${first9.slice(6)}${d}`)).toEqual([]);
  });

  it('does not take Unix timestamps or pieces of longer numbers', () => {
    // An epoch-seconds value that passes the checksum: unspaced runs starting 0–2 are not taken.
    const ts = `170000000${nhsCheckDigit('170000000')}`;
    expect(found(ukNhs, `"ts":${ts}`)).toEqual([]);
    expect(found(ukNhs, `"ts":"${ts.slice(0, 3)} ${ts.slice(3, 6)} ${ts.slice(6)}"`)).toHaveLength(1);
    expect(found(ukNhs, '19434765919 and 94347659190 and 943-476-5919')).toEqual([]);
  });
});
