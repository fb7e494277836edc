import { describe, expect, it } from 'vitest';
import { analyzePattern } from '../../../../src/masking/detectors/regex-analysis.js';
import { lengthBounds } from '../../../../src/masking/detectors/regex-nodes.js';
import { parseRegex } from '../../../../src/masking/detectors/regex-parse.js';

const bounds = (source: string, unicode = true): [number, number] => {
  const { min, max } = analyzePattern(source, unicode);
  return [min, max];
};
const hazards = (source: string): readonly string[] => analyzePattern(source, true).hazards;

describe('lengthBounds', () => {
  it('adds sequences, takes extremes of alternations and multiplies repetitions', () => {
    expect(bounds('abc')).toEqual([3, 3]);
    expect(bounds('a|bcd')).toEqual([1, 3]);
    expect(bounds('(?:ab){2,5}')).toEqual([4, 10]);
    expect(bounds('a?b*')).toEqual([0, Infinity]);
    expect(bounds('x{3,}')).toEqual([3, Infinity]);
    expect(bounds('(?<name>\\d{2})-\\d{0,4}')).toEqual([3, 7]);
  });

  it('counts nothing for assertions and lookarounds', () => {
    expect(bounds('^(?<!\\w)\\bab(?=c)(?!d)\\B$')).toEqual([2, 2]);
  });

  it('counts a character that may be astral as two code units with the u flag only', () => {
    expect(bounds('.')).toEqual([1, 2]);
    expect(bounds('.', false)).toEqual([1, 1]);
    expect(bounds('[^a]\\S\\W\\D')).toEqual([4, 8]);
    expect(bounds('\\u{1F600}')).toEqual([2, 2]);
    expect(bounds('\\uD83D\\uDE00')).toEqual([2, 2]);
    expect(bounds('😀')).toEqual([2, 2]);
    expect(bounds('\\p{L}')).toEqual([1, 2]);
    expect(bounds('[a-z\\d_]')).toEqual([1, 1]);
  });

  it('reads escapes, literal braces and dashes in classes the way the engine does', () => {
    expect(bounds('[\\]\\-a-c-]\\x41\\cA\\0\\t\\.\\/')).toEqual([7, 7]);
    expect(bounds('a{,3}', false)).toEqual([5, 5]); // not a quantifier without the u flag
    expect(lengthBounds(parseRegex('[\\d-z]', false), false)).toEqual({ min: 1, max: 1 });
  });
});

describe('analyzePattern hazards', () => {
  it.each(['(a+)+', '(a*)*', '(?:a|a)*', '(a|ab)+', '(\\w+\\s?)+', '(?:x\\d{1,9})+', '(a?)+', '(?:a|)+', '\\d+\\d+', '\\w*\\.?\\w*', '(.*)*x'])(
    'flags %s',
    (source) => {
      expect(hazards(source)).not.toEqual([]);
    },
  );

  it('flags backreferences', () => {
    expect(hazards('(a)\\1')).toEqual(['backreferences (\\1, \\k<name>) are not allowed']);
    expect(hazards('(?<q>[\'"])x\\k<q>')).toEqual(['backreferences (\\1, \\k<name>) are not allowed']);
  });

  it.each(['EMP-\\d{6}', '[A-Z]{2}\\d{6,8}', '(?:\\d{1,3}\\.){3}\\d{1,3}', '(?:[a-z]{1,20}-){1,4}[a-z]{1,20}x', '(?:ab|cd){1,5}', '(?: ?[A-Z0-9]{4}){4}', 'a{1,64}b', '(?:a|b){1,20}', '(?<![a-z])[a-z]{1,500}@', '-\\d{1,500}', '^\\w{0,500}'])(
    'accepts %s',
    (source) => {
      expect(hazards(source)).toEqual([]);
    },
  );

  it('wants a pinned start before a long repetition', () => {
    for (const source of ['[a-z]{1,500}@', 'a[a-z]{1,500}', '(?<!\\d)[a-z]{1,500}', '(?:x|[a-z]{1,500})', 'a+b', '\\b\\w{1,100}']) {
      expect(hazards(source), source).toEqual([expect.stringMatching(/must follow a character it cannot match/)]);
    }
  });

  it('lists unbounded counts with their source positions', () => {
    const { unbounded } = analyzePattern('a+b{2,}c*?d{1,3}', true);
    expect(unbounded).toEqual([
      { start: 1, end: 2, min: 1 },
      { start: 3, end: 7, min: 2 },
      { start: 8, end: 9, min: 0 },
    ]);
  });

  it('reports how far lookarounds look', () => {
    expect(analyzePattern('(?<!\\w)a(?!\\w)', true).lookaroundChars).toBe(1);
    expect(analyzePattern('(?<=Bearer )x', true).lookaroundChars).toBe(7);
    expect(analyzePattern('a', true).lookaroundChars).toBe(0);
  });
});
