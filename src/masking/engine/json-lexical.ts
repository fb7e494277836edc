// The lexical pieces of JSON (RFC 8259) the tokenizer needs: runs it can skip in one regex step,
// escapes, and the checks and masking of numbers and literals.
import type { MaskCounts } from '../types.js';
import type { CompiledProfile } from './compile.js';
import { maskRange } from './matches.js';

// eslint-disable-next-line no-control-regex -- JSON strings may not hold raw control characters
export const STRING_RUN = /[^"\\\u0000-\u001f]*/y;
export const WHITESPACE_RUN = /[ \t\n\r]*/y;
export const NUMBER_RUN = /[0-9eE+\-.]*/y;
export const LETTER_RUN = /[a-z]*/y;

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const LITERALS = ['true', 'false', 'null'] as const;
const HEX_DIGIT = /^[0-9a-fA-F]$/;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** The end of the run `re` matches from `at` (sticky regexes that always match, maybe empty). */
export function runEnd(re: RegExp, text: string, at: number): number {
  re.lastIndex = at;
  re.test(text);
  return re.lastIndex;
}

/** The character a one-letter escape stands for ('n' → newline), or undefined. */
export function simpleEscape(letter: string): string | undefined {
  return SIMPLE_ESCAPES[letter];
}

export function isHexDigit(c: string): boolean {
  return HEX_DIGIT.test(c);
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
export function maskNumber(profile: CompiledProfile, text: string, counts: MaskCounts): string | null {
  const local: MaskCounts = {};
  const masked = maskRange(profile, text, 0, true, local).output;
  if (Object.keys(local).length === 0) return null;
  for (const [name, n] of Object.entries(local)) counts[name] = (counts[name] ?? 0) + n;
  return JSON.stringify(masked);
}
