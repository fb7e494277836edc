import { describe, expect, it } from 'vitest';
import { termsPattern } from '../../../../src/masking/detectors/term-trie.js';

const all = (terms: readonly string[], text: string): string[] => [...text.matchAll(new RegExp(termsPattern(terms), 'giu'))].map((m) => m[0]);

describe('termsPattern', () => {
  it('factors shared prefixes and prefers the longer term', () => {
    expect(termsPattern(['car', 'cart', 'cat'])).toBe('ca(?:r(?:t)?|t)');
    expect(all(['car', 'cart', 'cat'], 'cart car cat ca')).toEqual(['cart', 'car', 'cat']);
  });

  it('merges case variants into one branch', () => {
    expect(termsPattern(['Bob', 'BOB', 'bob'])).toBe('bob');
  });

  it('escapes regex syntax', () => {
    const terms = ['a.b', '(x)', 'c++', 'p|q', '[z]', 'a\\b', '{1}', '^$', 'd/e'];
    expect(all(terms, terms.join(' '))).toEqual(terms);
    expect(all(['a.b'], 'axb')).toEqual([]);
  });

  it('keeps astral characters whole', () => {
    expect(all(['😀x', '😀y'], '😀x 😀y 😀z')).toEqual(['😀x', '😀y']);
  });
});
