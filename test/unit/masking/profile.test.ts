import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { maskingConfigSchema, type MaskingConfig } from '../../../src/masking/config.js';
import { maskText } from '../../../src/masking/engine/text.js';
import { buildProfiles, MaskingConfigError, maskingProfiles, readHashKey } from '../../../src/masking/profile.js';
import { card, email, HASH_KEY } from './engine/fixtures.js';

const CATALOG = new Map([email, card].map((d) => [d.name, d]));

function config(yaml: string): MaskingConfig {
  return maskingConfigSchema.parse(parse(yaml));
}

function problemsOf(yaml: string): string[] {
  const result = maskingConfigSchema.safeParse(parse(yaml));
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

function buildProblems(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof MaskingConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('masking config schema', () => {
  it('reads profiles with detectors, fields, paths, custom and deny lists', () => {
    const c = config(`
hash_key_file: /keys/hmac
profiles:
  eu-strict:
    detectors: { email: hash, card: partial }
    fields: [password, SSN]
    paths: [$.customer.birth_date, '*.tax_id', "$.items[*].email"]
    custom:
      - { name: employee_id, pattern: 'EMP-\\d{6}', label: '[EMPLOYEE]' }
    deny_list:
      - { name: projects, values: [Bluebird, Nightjar] }
  fields-only:
    detectors: {}
    fields: [secret]
`);
    expect(c.profiles['eu-strict']).toMatchObject({ detectors: { email: 'hash', card: 'partial' }, fields: ['password', 'SSN'] });
    expect(c.profiles['fields-only']).toEqual({ detectors: {}, fields: ['secret'], paths: [], custom: [], deny_list: [] });
    expect(maskingConfigSchema.parse({})).toEqual({ profiles: {} });
  });

  it('reports bad actions, bad paths, empty profiles, duplicate names and a hash without a key', () => {
    expect(
      problemsOf(`
profiles:
  a:
    detectors: { email: blur, card: hash }
    paths: [email, '$.a[x]']
  b:
    detectors: {}
  c:
    detectors: {}
    custom: [{ name: x, pattern: 'a' }]
    deny_list: [{ name: x, values: [y] }]
    colour: red
  Bad_Name:
    detectors: { email: redact }
`),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^profiles\.a\.detectors\.email: /),
        expect.stringMatching(/^profiles\.a\.paths\.0: .*must start with/),
        expect.stringMatching(/^profiles\.a\.paths\.1: .*cannot read a segment/),
        'profiles.b: the profile masks nothing: list detectors, fields, paths, custom or deny_list',
        'profiles.c.deny_list.0.name: detector "x" is defined twice',
        expect.stringMatching(/^profiles\.c: .*colour/),
        expect.stringMatching(/^profiles\.Bad_Name: /),
      ]),
    );
    expect(problemsOf('profiles: { a: { detectors: { card: hash } } }')).toEqual(['profiles.a.detectors.card: the hash action needs masking.hash_key_file']);
  });
});

describe('buildProfiles', () => {
  it('resolves detectors in order with their actions, and keeps fields and paths', () => {
    const profiles = buildProfiles(config(`
hash_key_file: k
profiles:
  p:
    detectors: { card: partial, email: hash }
    fields: [ssn]
    paths: ['*.email']
`), CATALOG, HASH_KEY);
    const p = profiles.get('p')!;
    expect(p.rules.map((r) => [r.detector.name, r.action])).toEqual([['card', 'partial'], ['email', 'hash']]);
    expect(p).toMatchObject({ name: 'p', fieldNames: ['ssn'], fieldPaths: ['*.email'], hashKey: HASH_KEY });
  });

  it('lists every unknown detector with its path and the known names', () => {
    const problems = buildProblems(() =>
      buildProfiles(config('profiles: { eu-strict: { detectors: { emial: redact, card: redact } }, other: { detectors: { ssn: redact } } }'), CATALOG),
    );
    expect(problems).toEqual([
      'masking.profiles.eu-strict.detectors.emial: unknown detector; known: card, email',
      'masking.profiles.other.detectors.ssn: unknown detector; known: card, email',
    ]);
  });

  it('takes known names from the options when given a lookup function', () => {
    const problems = buildProblems(() =>
      buildProfiles(config('profiles: { p: { detectors: { x: redact } } }'), (n) => CATALOG.get(n), undefined, { knownDetectors: ['card', 'email'] }),
    );
    expect(problems).toEqual(['masking.profiles.p.detectors.x: unknown detector; known: card, email']);
  });

  it('refuses a hash action when no key was loaded', () => {
    const problems = buildProblems(() => buildProfiles(config('hash_key_file: k\nprofiles: { p: { detectors: { email: hash } } }'), CATALOG));
    expect(problems).toEqual(['masking.profiles.p.detectors.email: the hash action needs masking.hash_key_file']);
  });

  it('builds custom and deny-list detectors; their action comes from detectors, else redact', () => {
    const profiles = buildProfiles(config(`
hash_key_file: k
profiles:
  p:
    detectors: { employee_id: hash }
    custom: [{ name: employee_id, pattern: 'EMP-\\d{6}', label: '[EMPLOYEE]' }]
    deny_list: [{ name: projects, values: [Bluebird, Nightjar] }]
`), CATALOG, HASH_KEY);
    const p = profiles.get('p')!;
    expect(p.rules.map((r) => [r.detector.name, r.action])).toEqual([['employee_id', 'hash'], ['projects', 'redact']]);
    expect(maskText('EMP-123456 works on bluebird', p).text).toMatch(/^\[EMPLOYEE:hmac:[0-9a-f]{16}\] works on \[PROJECTS\]$/);
  });

  it('reports an unsafe custom pattern and a custom name that shadows the catalog', () => {
    const problems = buildProblems(() =>
      buildProfiles(config(`
profiles:
  p:
    detectors: {}
    custom: [{ name: bad, pattern: '(a+)+' }, { name: email, pattern: 'x{3}' }]
`), CATALOG),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^masking\.profiles\.p\.custom\[0\]: custom detector 'bad'/),
      'masking.profiles.p: custom detector "email" has the name of a catalog detector',
    ]);
  });
});

describe('readHashKey and maskingProfiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rg-hash-'));

  it('reads the key without its trailing newline and refuses a short key', () => {
    const good = join(dir, 'good');
    writeFileSync(good, `${'k'.repeat(40)}\r\n`);
    expect(readHashKey(good)).toEqual(Buffer.from('k'.repeat(40)));
    const short = join(dir, 'short');
    writeFileSync(short, 'tiny\n');
    expect(() => readHashKey(short)).toThrow(/4 bytes, at least 32/);
  });

  it('builds profiles against the detector catalog', () => {
    const key = join(dir, 'key');
    writeFileSync(key, 'x'.repeat(32));
    const profiles = maskingProfiles(config(`hash_key_file: ${key}\nprofiles: { p: { detectors: { email: hash, iban: redact } } }`));
    const out = maskText('mail alice@example.com, IBAN DE89 3704 0044 0532 0130 00.', profiles.get('p')!).text;
    expect(out).toMatch(/^mail \[EMAIL:hmac:[0-9a-f]{16}\], IBAN \[IBAN\]\.$/);
    expect(() => maskingProfiles(config('profiles: { p: { detectors: { emial: redact } } }'))).toThrow(/emial: unknown detector; known: .*email/);
  });
});
