import { describe, expect, it } from 'vitest';
import { DETECTORS, detectorByName, findMatches } from '../../../../src/masking/detectors/index.js';
import { analyzePattern } from '../../../../src/masking/detectors/regex-analysis.js';
import { POSITIVES } from './examples.js';

const CATALOG = [...DETECTORS.values()];

const LABELS: Record<string, string> = {
  email: '[EMAIL]',
  phone: '[PHONE]',
  card: '[CARD]',
  iban: '[IBAN]',
  us_ssn: '[SSN]',
  ipv4: '[IPV4]',
  ipv6: '[IPV6]',
  jwt: '[JWT]',
  bearer_token: '[TOKEN]',
  aws_access_key: '[AWS_KEY]',
  pem_private_key: '[PRIVATE_KEY]',
  uk_nino: '[NINO]',
  uk_nhs: '[NHS]',
  de_tax_id: '[DE_TAX_ID]',
  fr_nir: '[FR_NIR]',
  es_dni: '[ES_DNI]',
  es_nie: '[ES_NIE]',
  it_codice_fiscale: '[IT_CF]',
  nl_bsn: '[NL_BSN]',
  pl_pesel: '[PL_PESEL]',
};

describe('the detector catalog', () => {
  it('holds exactly the documented detectors with their labels', () => {
    expect(Object.fromEntries(CATALOG.map((d) => [d.name, d.label]))).toEqual(LABELS);
    for (const [name, detector] of DETECTORS) expect(detector.name).toBe(name);
  });

  it('looks detectors up by name', () => {
    expect(detectorByName('iban')?.label).toBe('[IBAN]');
    expect(detectorByName('nope')).toBeUndefined();
    expect(detectorByName('IBAN')).toBeUndefined();
  });

  it.each(CATALOG)('$name: has the g flag and positive examples', (d) => {
    expect(d.pattern.flags).toContain('g');
    expect(d.pattern.sticky).toBe(false);
    expect(POSITIVES[d.name]?.length ?? 0).toBeGreaterThanOrEqual(2);
  });

  it.each(CATALOG)('$name: maxLength bounds every possible match, not just the examples', (d) => {
    const { max, min, hazards } = analyzePattern(d.pattern.source, d.pattern.unicode);
    expect(max).toBeLessThanOrEqual(d.maxLength);
    expect(min).toBeGreaterThan(0);
    expect(hazards.filter((h) => h.includes('backreference'))).toEqual([]);
    for (const value of POSITIVES[d.name] ?? []) expect(value.length).toBeLessThanOrEqual(d.maxLength);
  });

  it.each(CATALOG)('$name: boundary lookarounds look at one character at most', (d) => {
    // bearer_token is the documented exception: it keeps 'Bearer ' as a 7-character lookbehind.
    expect(analyzePattern(d.pattern.source, d.pattern.unicode).lookaroundChars).toBe(d.name === 'bearer_token' ? 7 : 1);
  });

  it('finds every example with the whole catalog in play, labelled by the right detector', () => {
    for (const [name, values] of Object.entries(POSITIVES)) {
      for (const value of values) {
        const text = name === 'bearer_token' ? `Authorization: Bearer ${value}` : `value: ${value} ;`;
        const matches = findMatches(text, CATALOG);
        expect(matches.map((m) => [m.detector.name, m.value]), `${name} ${value}`).toEqual([[name, value]]);
      }
    }
  });
});

// Hostile inputs: long runs of what patterns start with, separators they allow, half-markers.
const SIZE = 100_000;
const fill = (unit: string): string => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);

function noise(alphabet: string, seed: number): string {
  let x = seed;
  let out = '';
  while (out.length < SIZE) {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    out += alphabet[x % alphabet.length];
  }
  return out;
}

const HOSTILE: Record<string, string> = {
  ...Object.fromEntries(
    [
      'a', '1', '0', '9', 'A', 'X', 'f', ' ', '@', '.', '-', ':', '+', '(', '\n', 'é',
      'a@', 'a.', 'a-', 'a:', '1.', '1 ', '12 ', '1-', '1:', '+1 ', '+1', '0 ', '07700 ', '4111 ', 'DE89 ', 'AB12', 'AKIA',
      'ff:', '::1:', '1.2.', '255.', 'eyJ', 'eyJa.', 'Bearer ', 'Bearer a', '-----BEGIN ', '-----BEGIN RSA PRIVATE KEY-----\n',
      '-----BEGIN PRIVATE KEY-----\n-', '-----END PRIVATE KEY-----', 'x@y.', 'aa.bb.', '2A', 'RSSMRA85T10',
    ].map((u) => [JSON.stringify(u), fill(u)]),
  ),
  'digits and spaces': noise('0123456789 ', 1),
  'digits and separators': noise('0123456789 -./()+', 2),
  'hex and colons': noise('0123456789abcdef:.', 3),
  base64ish: noise('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_.', 4),
  'letters and at': noise('abc.@-', 5),
  'unclosed PEM then text': `-----BEGIN PRIVATE KEY-----\n${fill('QUJD')}`,
};

describe('adversarial input (100 KB each; expected ~ms, 1 s is only a sanity bound)', () => {
  it.each(CATALOG)('$name: its pattern and findMatches stay fast', (d) => {
    const scanner = new RegExp(d.pattern.source, d.pattern.flags);
    for (const [what, text] of Object.entries(HOSTILE)) {
      let started = performance.now();
      const count = [...text.matchAll(scanner)].length;
      expect(performance.now() - started, `${d.name} pattern on ${what} (${count} candidates)`).toBeLessThan(1000);
      started = performance.now();
      findMatches(text, [d]);
      expect(performance.now() - started, `${d.name} findMatches on ${what}`).toBeLessThan(1000);
    }
  });

  it('the whole catalog at once stays fast', () => {
    for (const [what, text] of Object.entries(HOSTILE)) {
      const started = performance.now();
      findMatches(text, CATALOG);
      expect(performance.now() - started, what).toBeLessThan(1000);
    }
  });
});
