// The lexical pieces of JSON (RFC 8259) outside strings: runs the tokenizer skips in one regex
// step, the checks and masking of numbers and literals, and the fast path's token-end scanners.
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

// The fast path's scanners (JsonMaskingTokenizer.scan): where a token that lies wholly in the chunk ends.

export const C_MINUS = 0x2d;
export const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isLower = (c: number): boolean => c >= 0x61 && c <= 0x7a;

/**
 * Control characters JSON allows nowhere (tab, line feed and carriage return are whitespace
 * outside strings). Looked for one by one: 29 indexOf calls (memchr) take half the time of one
 * scan with a character class.
 */
const NEVER_ALLOWED = Array.from({ length: 32 }, (_, c) => String.fromCharCode(c)).filter((c) => c !== '\t' && c !== '\n' && c !== '\r');

/** The characters NUMBER_RUN takes: [0-9eE+\-.]. */
const NUMBER_CHARS = new Uint8Array(128);
for (const c of '0123456789eE+-.') NUMBER_CHARS[c.charCodeAt(0)] = 1;

/** Finds special character `s` of JsonMaskingTokenizer.nextSpecial at or after `from`; Infinity if none. */
export function findSpecial(text: string, s: number, from: number): number {
  if (s < 4) {
    const k = text.indexOf(s === 0 ? '\\' : s === 1 ? '\n' : s === 2 ? '\r' : '\t', from);
    return k < 0 ? Infinity : k;
  }
  let first = Infinity;
  for (const c of NEVER_ALLOWED) {
    const k = text.indexOf(c, from);
    if (k >= 0 && k < first) first = k;
  }
  return first;
}

/**
 * The end of the JSON number at `i` when it ends inside the chunk: the character after it exists
 * and could not continue NUMBER_RUN ([0-9eE+\-.]), so NUMBER_RUN would take exactly this number
 * and isNumber would accept it. Otherwise -1, and the general steps read it. One pass.
 */
export function numberEnd(text: string, i: number): number {
  const n = text.length;
  let c = text.charCodeAt(i);
  if (c === C_MINUS) c = text.charCodeAt(++i);
  if (c === 0x30) c = text.charCodeAt(++i);
  else if (isDigit(c)) do c = text.charCodeAt(++i); while (isDigit(c));
  else return -1;
  if (c === 0x2e) {
    const digits = i + 1;
    do c = text.charCodeAt(++i); while (isDigit(c));
    if (i === digits) return -1;
  }
  if ((c | 0x20) === 0x65) {
    c = text.charCodeAt(++i);
    if (c === 0x2b || c === C_MINUS) c = text.charCodeAt(++i);
    const digits = i;
    while (isDigit(c)) c = text.charCodeAt(++i);
    if (i === digits) return -1;
  }
  // NaN past the end: the number may go on in the next chunk.
  return i < n && (c >= 128 || NUMBER_CHARS[c] === 0) ? i : -1;
}

/** The end of the literal true, false or null at `i`, when a character that is not a lower-case letter follows it in the chunk; else -1. */
export function literalEnd(text: string, i: number): number {
  const c = text.charCodeAt(i);
  const end = c === 0x66 ? i + 5 : i + 4;
  if (end >= text.length || isLower(text.charCodeAt(end))) return -1;
  return (c === 0x74 && text.startsWith('true', i)) || (c === 0x6e && text.startsWith('null', i)) || (c === 0x66 && text.startsWith('false', i)) ? end : -1;
}
