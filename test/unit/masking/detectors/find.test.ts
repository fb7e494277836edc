import { describe, expect, it } from 'vitest';
import { findMatches } from '../../../../src/masking/detectors/find.js';
import type { Detector } from '../../../../src/masking/types.js';

const det = (name: string, pattern: RegExp, validate?: (s: string) => boolean): Detector => ({
  name,
  label: `[${name}]`,
  pattern,
  maxLength: 50,
  ...(validate ? { validate } : {}),
});

const spans = (text: string, detectors: readonly Detector[]): string[] =>
  findMatches(text, detectors).map((m) => `${m.detector.name}:${m.start}-${m.end}:${m.value}`);

describe('findMatches', () => {
  it('returns every match of every detector, sorted by start', () => {
    const digits = det('digits', /\d+/g);
    const words = det('words', /[a-z]+/g);
    expect(spans('ab 12 cd 3', [digits, words])).toEqual(['words:0-2:ab', 'digits:3-5:12', 'words:6-8:cd', 'digits:9-10:3']);
  });

  it('drops candidates that fail validate', () => {
    const even = det('even', /\d+/g, (s) => Number(s) % 2 === 0);
    expect(spans('1 2 3 44', [even])).toEqual(['even:2-3:2', 'even:6-8:44']);
  });

  it('lets the earliest start win an overlap', () => {
    const a = det('a', /abc/g);
    const b = det('b', /bcdef/g);
    expect(spans('abcdef', [b, a])).toEqual(['a:0-3:abc']);
  });

  it('lets the longest win when two start together, then the detector listed first', () => {
    const short = det('short', /ab/g);
    const long = det('long', /abcd/g);
    expect(spans('abcd', [short, long])).toEqual(['long:0-4:abcd']);
    const one = det('one', /ab/g);
    const two = det('two', /ab/g);
    expect(spans('ab', [two, one])).toEqual(['two:0-2:ab']);
    expect(spans('ab', [one, two])).toEqual(['one:0-2:ab']);
  });

  it('keeps a later match that starts where an earlier one ends', () => {
    expect(spans('abcd', [det('x', /ab/g), det('y', /cd/g)])).toEqual(['x:0-2:ab', 'y:2-4:cd']);
  });

  it('looks for a valid match inside a rejected candidate', () => {
    // The regex alone reports '1234', which fails; '234' starts inside it and passes.
    const d = det('d', /\d{3,4}/g, (s) => s.startsWith('2'));
    expect(spans('1234', [d])).toEqual(['d:1-4:234']);
  });

  it('does not loop on a pattern that matches the empty string', () => {
    expect(spans('abc', [det('empty', /x*/g)])).toEqual([]);
  });

  it('steps over whole surrogate pairs after a rejection under the u flag', () => {
    const d = det('emoji', /\p{Extended_Pictographic}\d?/gu, (s) => s.length === 3);
    expect(spans('😀😀1', [d])).toEqual(['emoji:2-5:😀1']);
  });

  it('neither depends on nor moves the shared pattern lastIndex', () => {
    const pattern = /\d/g;
    pattern.lastIndex = 3;
    const d = det('d', pattern);
    expect(spans('1 2', [d])).toEqual(['d:0-1:1', 'd:2-3:2']);
    expect(pattern.lastIndex).toBe(3);
    expect(spans('1 2', [d])).toHaveLength(2);
  });

  it('accepts a pattern without the g flag', () => {
    expect(spans('1 2', [det('d', /\d/)])).toEqual(['d:0-1:1', 'd:2-3:2']);
  });

  it('returns nothing for empty text or no detectors', () => {
    expect(findMatches('', [det('d', /\d/g)])).toEqual([]);
    expect(findMatches('123', [])).toEqual([]);
  });
});
