// The lexical pieces of JSON (RFC 8259) outside strings: runs the tokenizer skips in one regex
// step, and the checks and masking of numbers and literals.
import type { MaskCounts } from '../types.js';
import type { CompiledProfile } from './compile.js';
import { maskValue, type ValueCandidates } from './matches.js';

export const WHITESPACE_RUN = /[ \t\n\r]*/y;
export const NUMBER_RUN = /[0-9eE+\-.]*/y;
export const LETTER_RUN = /[a-z]*/y;

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const LITERALS = ['true', 'false', 'null'] as const;

/** The end of the run `re` matches from `at` (sticky regexes that always match, maybe empty). */
export function runEnd(re: RegExp, text: string, at: number): number {
  re.lastIndex = at;
  re.test(text);
  return re.lastIndex;
}

export function isNumber(text: string): boolean {
  return NUMBER.test(text);
}

export function isLiteral(text: string): boolean {
  return text === 'true' || text === 'false' || text === 'null';
}

export function couldBeLiteral(prefix: string): boolean {
  return LITERALS.some((l) => l.startsWith(prefix));
}

/**
 * A detector may match a number (a card or phone written as a JSON number): then the number is
 * written as a string holding the masked text. Returns null when nothing matched.
 */
export function maskNumber(profile: CompiledProfile, text: string, counts: MaskCounts, candidates?: ValueCandidates): string | null {
  const masked = maskValue(profile, text, counts, candidates);
  return masked === null ? null : JSON.stringify(masked);
}
