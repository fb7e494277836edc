// The pre-filters (triggers.ts, value-filter.ts) only skip work: every result must be what the
// plain patterns give. Checked against the same profiles with every trigger and filter removed,
// over random text with values of every catalog detector injected.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { customDetector, denyListDetector } from '../../../../src/masking/detectors/custom.js';
import { DETECTORS } from '../../../../src/masking/detectors/index.js';
import { compileProfile, type CompiledProfile } from '../../../../src/masking/engine/compile.js';
import { maskRange, maskValue } from '../../../../src/masking/engine/matches.js';
import { analyzeForScan, type Filter } from '../../../../src/masking/engine/triggers.js';
import { ValueFilter } from '../../../../src/masking/engine/value-filter.js';
import type { Detector, MaskCounts, MaskingProfile } from '../../../../src/masking/types.js';
import { POSITIVES } from '../detectors/examples.js';
import { TEST_DETECTORS } from './fixtures.js';

const CUSTOM: readonly Detector[] = [
  customDetector({ name: 'employee_id', pattern: '(?<![A-Z])EMP-\\d{6}(?!\\d)' }),
  customDetector({ name: 'ticket', pattern: '(?:TCK|tck)[-_ ]?\\d{3,8}' }),
  customDetector({ name: 'codeword', pattern: '[a-z]{2,12}@@[a-z]{2}', maxLength: 40 }),
  denyListDetector({ name: 'names', values: ['Alice Smith', 'Ünal Öztürk', 'Bob', 'İpek'] }),
];

const ALL: readonly Detector[] = [...DETECTORS.values(), ...TEST_DETECTORS, ...CUSTOM];

const SAMPLES: readonly string[] = [
  ...Object.values(POSITIVES).flat(),
  'Bearer abcdefgh12345678',
  'bearer ZZZZZZZZ9',
  'EMP-123456',
  'TCK 1234',
  'tck_99999',
  'abc@@de',
  'alice smith',
  'ÜNAL ÖZTÜRK',
  'bob',
  'İPEK',
  'ipek',
  '🔑clé',
  'a@b.co',
  '4111111111111111',
];

const UNITS = ['a', 'Z', 'k', 'x', '0', '1', '4', '5', '9', ' ', '  ', '-', '.', ':', '@', '+', '(', ')', '/', '_', '=', '\n', 'é', '😀', '🔑', 'Bearer ', 'eyJ', 'AKIA', 'DE', '::'];

const text = fc
  .array(fc.oneof(fc.string({ unit: fc.constantFrom(...UNITS), maxLength: 12 }), fc.constantFrom(...SAMPLES)), { maxLength: 8 })
  .map((parts) => parts.join(''));

function profileOf(detectors: readonly Detector[]): MaskingProfile {
  return { name: 'p', rules: detectors.map((detector) => ({ detector, action: 'redact' as const })), fieldNames: [], fieldPaths: [] };
}

/** The same compiled profile with every pre-filter removed: patterns run at every position. */
function plain(profile: CompiledProfile): CompiledProfile {
  return { ...profile, rules: profile.rules.map((r) => ({ ...r, trigger: undefined, filter: undefined })) };
}

// Catalog detectors with holds of 8–16 KiB would keep everything undecided in streaming mode;
// they are checked in final mode, the others in both.
const SHORT = ALL.filter((d) => d.maxLength <= 1024);
const whole = compileProfile(profileOf(ALL));
const short = compileProfile(profileOf(SHORT));
const singles = ALL.map((d) => compileProfile(profileOf([d])));
// The detectors with a filter (the test card pattern has none), so the chunk filter is active.
const FILTERED = ALL.filter((d) => analyzeForScan(d.pattern).filter !== undefined);
const filtered = compileProfile(profileOf(FILTERED));

function range(profile: CompiledProfile, t: string, from: number, final: boolean): { output: string; releasedTo: number; counts: MaskCounts } {
  const counts: MaskCounts = {};
  return { ...maskRange(profile, t, from, final, counts), counts };
}

describe('pre-filters', () => {
  it('derive a filter for every catalog detector and a trigger for most', () => {
    const facts = [...DETECTORS.values()].map((d) => ({ name: d.name, ...analyzeForScan(d.pattern) }));
    expect(facts.filter((f) => f.filter === undefined).map((f) => f.name)).toEqual([]);
    expect(facts.filter((f) => f.trigger !== undefined).length).toBeGreaterThanOrEqual(15);
  });

  it('every match of every detector contains its factors where they say', () => {
    fc.assert(
      fc.property(text, (t) => {
        for (const d of ALL) {
          const { filter, trigger } = analyzeForScan(d.pattern);
          const sticky = new RegExp(d.pattern.source, `${d.pattern.flags.replace(/[gy]/g, '')}y`);
          for (let s = 0; s < t.length; s++) {
            sticky.lastIndex = s;
            const m = sticky.exec(t);
            if (m === null) continue;
            if (filter !== undefined) expect(occursIn(filter, m.input.slice(0, s + m[0].length)), `${d.name} filter in ${JSON.stringify(m[0])}`).toBe(true);
            if (trigger !== undefined) {
              const { lo, hi } = trigger.factor;
              const at = new RegExp(trigger.scan.source, `${trigger.scan.flags.replace('g', '')}y`);
              const hit = Array.from({ length: hi - lo + 1 }, (_, i) => s + lo + i).some((k) => {
                at.lastIndex = k;
                return k >= 0 && at.test(t);
              });
              expect(hit, `${d.name} trigger near ${JSON.stringify(m[0])}`).toBe(true);
            }
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('maskRange gives what the plain patterns give, buffered and streaming', () => {
    fc.assert(
      fc.property(text, fc.nat(), fc.boolean(), (t, cut, final) => {
        let from = t.length === 0 ? 0 : cut % (t.length + 1);
        // maskRange never starts inside a surrogate pair (it starts after whole code points).
        if (/[\uDC00-\uDFFF]/.test(t[from] ?? '') && /[\uD800-\uDBFF]/.test(t[from - 1] ?? '')) from -= 1;
        expect(range(whole, t, from, true)).toEqual(range(plain(whole), t, from, true));
        expect(range(short, t, from, final)).toEqual(range(plain(short), t, from, final));
        for (const p of singles) expect(range(p, t, from, final)).toEqual(range(plain(p), t, from, final));
      }),
      { numRuns: 500 },
    );
  });

  it('maskValue gives what maskRange gives, and null exactly when nothing matched', () => {
    fc.assert(
      fc.property(text, (t) => {
        for (const p of [whole, short, ...singles]) {
          const counts: MaskCounts = {};
          const value = maskValue(p, t, counts);
          const expected = range(plain(p), t, 0, true);
          expect(value ?? t).toBe(expected.output);
          expect(counts).toEqual(expected.counts);
          expect(value === null).toBe(Object.keys(expected.counts).length === 0);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('the chunk filter never rules out a value, or a rule for a value, that holds a match', () => {
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 6 }), (values) => {
        const chunk = values.join('"');
        for (const p of [filtered, ...singles]) {
          const filter = new ValueFilter(p);
          if (p === filtered) expect(filter.active).toBe(true);
          filter.begin(chunk);
          let at = 0;
          for (const v of values) {
            const names = p.rules.map((r) => r.detector.name).join();
            if (!filter.mayMatch(at, at + v.length)) expect(maskValue(plain(p), v, {}), `${names} in ${JSON.stringify(v)}`).toBeNull();
            else {
              // Masking with the candidates and their factor positions gives what the plain patterns give.
              const counts: MaskCounts = {};
              const expected: MaskCounts = {};
              expect(maskValue(p, v, counts, filter.candidates)).toBe(maskValue(plain(p), v, expected));
              expect(counts).toEqual(expected);
              if (p === filtered) {
                // A rule it rules out has no match in the value on its own.
                FILTERED.forEach((d, r) => {
                  if (!filter.candidates!.rules.slice(0, filter.candidates!.count).includes(r)) expect(maskValue(plain(compileProfile(profileOf([d]))), v, {}), `${d.name} in ${JSON.stringify(v)}`).toBeNull();
                });
              }
            }
            at += v.length + 1;
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

function occursIn(filter: Filter, t: string): boolean {
  const re = new RegExp(filter.scan.source, filter.scan.flags);
  return re.test(t);
}
