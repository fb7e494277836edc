import { describe, expect, it } from 'vitest';
import { customDetector, denyListDetector, MAX_CUSTOM_LENGTH, MAX_TERM_LENGTH } from '../../../../src/masking/detectors/custom.js';
import { found } from './examples.js';

const fails = (pattern: string, maxLength?: number): string => {
  try {
    customDetector({ name: 'x', pattern, maxLength });
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
};

describe('customDetector', () => {
  it('compiles a bounded pattern with the g and u flags and a computed maxLength', () => {
    const d = customDetector({ name: 'employee_id', pattern: 'EMP-\\d{6}', label: '[EMPLOYEE]' });
    expect(d).toMatchObject({ name: 'employee_id', label: '[EMPLOYEE]', maxLength: 10 });
    expect(d.pattern.flags).toBe('gu');
    expect(found(d, 'by EMP-123456 and EMP-12345')).toEqual(['EMP-123456']);
  });

  it('labels by name by default', () => {
    expect(customDetector({ name: 'ticket-no', pattern: 'T\\d{4}' }).label).toBe('[TICKET-NO]');
  });

  it.each(['(a+)+', '(a*)*', '(a|a)*', '(x|xy){1,20}', '(\\w+\\s?)+$', '\\d+\\d+'])('rejects the catastrophic %s', (pattern) => {
    expect(fails(pattern, 100)).toMatch(/unsafe pattern/);
  });

  it('rejects backreferences', () => {
    expect(fails('(\\d)\\1{3}', 10)).toMatch(/backreferences/);
  });

  it('rejects unbounded repetition unless maxLength is given', () => {
    expect(fails('[A-Z]+-\\d+')).toMatch(/unbounded repetition.*maxLength/);
    expect(fails('X\\d*')).toMatch(/unbounded/);
    expect(fails('[A-Z]+-\\d+', 20)).toBe('accepted');
  });

  it('caps unbounded repetitions at maxLength and drops longer matches', () => {
    const d = customDetector({ name: 'code', pattern: '(?<!\\w)[A-Z]+-\\d+(?!\\w)', maxLength: 8 });
    expect(d.pattern.source).toBe('(?<!\\w)[A-Z]{1,8}-\\d{1,8}(?!\\w)');
    expect(d.maxLength).toBe(8);
    expect(found(d, 'ABC-1234 and ABCDE-12345')).toEqual(['ABC-1234']);
    expect(customDetector({ name: 'lazy', pattern: 'a+?b', maxLength: 5 }).pattern.source).toBe('a{1,5}?b');
  });

  it('keeps the tighter of maxLength and the computed bound', () => {
    expect(customDetector({ name: 'y', pattern: 'Y\\d{3}', maxLength: 100 }).maxLength).toBe(4);
    const d = customDetector({ name: 'z', pattern: 'Z\\d{1,9}', maxLength: 5 });
    expect(d.maxLength).toBe(5);
    expect(found(d, 'Z1234 Z123456')).toEqual(['Z1234']);
  });

  it('rejects empty matches, long lookarounds, invalid syntax and odd maxLength values', () => {
    expect(fails('a?')).toMatch(/empty string/);
    expect(fails('(?<=ab)c')).toMatch(/at most one character/);
    expect(fails('(?!ab)c')).toMatch(/at most one character/);
    expect(fails('[a-')).toMatch(/invalid pattern/);
    expect(fails('\\-')).toMatch(/invalid pattern/); // not a valid escape with the u flag
    expect(fails('a', 0)).toMatch(/maxLength/);
    expect(fails('a', 1.5)).toMatch(/maxLength/);
    expect(fails('a', MAX_CUSTOM_LENGTH + 1)).toMatch(/maxLength/);
    expect(fails('a{3,}', 2)).toMatch(/at least 3/);
    expect(fails('.{20000}')).toMatch(/over 16384/);
    expect(() => customDetector({ name: 'Bad Name', pattern: 'a' })).toThrow(/detector name/);
  });

  it('allows one-character boundaries', () => {
    const d = customDetector({ name: 'ref', pattern: '(?<![\\w-])REF\\d{4}(?!\\w)' });
    expect(found(d, 'REF1234 xREF1234 REF12345 (REF0001)')).toEqual(['REF1234', 'REF0001']);
  });

  it('stays fast on hostile input once capped', () => {
    const d = customDetector({ name: 'w', pattern: '[a-z]+@', maxLength: 64 });
    const pinned = customDetector({ name: 'p', pattern: '(?<![a-z])[a-z]+@', maxLength: MAX_CUSTOM_LENGTH });
    const started = performance.now();
    found(d, 'a'.repeat(100_000));
    found(pinned, 'a'.repeat(100_000));
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('rejects a long repetition that could restart at every position of a run', () => {
    expect(fails('[a-z]+@', 1000)).toMatch(/must follow a character it cannot match/);
    expect(fails('(?<![a-z])[a-z]+@', 1000)).toBe('accepted');
    expect(fails('ID-\\d+', 1000)).toBe('accepted');
  });
});

describe('denyListDetector', () => {
  it('matches the terms case-insensitively, whole words only, longest first', () => {
    const d = denyListDetector({ name: 'places', values: ['New York', 'New York City', 'Bluebird'] });
    expect(d).toMatchObject({ label: '[PLACES]', maxLength: 13 });
    expect(found(d, 'new york city and NEW YORK, bluebirds, Bluebird.')).toEqual(['new york city', 'NEW YORK', 'Bluebird']);
  });

  it('escapes regex syntax in terms', () => {
    const d = denyListDetector({ name: 'odd', values: ['a.b', 'C++ (beta)', 'x|y', '[z]'] });
    expect(found(d, 'aXb a.b C++ (beta) x|y x [z]')).toEqual(['a.b', 'C++ (beta)', 'x|y', '[z]']);
  });

  it('treats letters outside ASCII as word characters', () => {
    const d = denyListDetector({ name: 'names', values: ['Müller', 'José'] });
    expect(found(d, 'MÜLLER, Müllers, josé, Josée, éJosé')).toEqual(['MÜLLER', 'josé']);
  });

  it('rejects an empty list and blank terms', () => {
    expect(() => denyListDetector({ name: 'none', values: [] })).toThrow(/at least one/);
    expect(() => denyListDetector({ name: 'none', values: ['  '] })).toThrow(/at least one/);
    expect(denyListDetector({ name: 'trim', values: [' Bluebird ', ''] }).maxLength).toBe(8);
  });

  it('shares prefixes: terms that extend one another, and case variants of one term', () => {
    const d = denyListDetector({ name: 'p', values: ['ab', 'abc', 'abcd', 'ABC', 'abx', 'b'] });
    expect(found(d, 'ab abc abcd abce abx ABCD b')).toEqual(['ab', 'abc', 'abcd', 'abx', 'ABCD', 'b']);
  });

  it('keeps characters whose lower case is longer matching themselves', () => {
    const d = denyListDetector({ name: 'tr', values: ['İstanbul'] });
    expect(found(d, 'İstanbul, İSTANBUL')).toEqual(['İstanbul', 'İSTANBUL']);
    expect(d.maxLength).toBe(8);
  });

  it('rejects terms longer than MAX_TERM_LENGTH', () => {
    expect(() => denyListDetector({ name: 'long', values: ['x'.repeat(MAX_TERM_LENGTH + 1)] })).toThrow(/longer than/);
  });

  it('stays fast with thousands of terms on hostile input', () => {
    const values = Array.from({ length: 5000 }, (_, i) => `name${i.toString(36)}x ${'a'.repeat(i % 20)}`);
    const d = denyListDetector({ name: 'many', values });
    const started = performance.now();
    for (const text of ['name '.repeat(20_000), 'a '.repeat(50_000), 'namezzx aaaa '.repeat(8_000)]) found(d, text);
    expect(found(d, `see ${values[4321] ?? ''}.`)).toEqual([values[4321]]);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
