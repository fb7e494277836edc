// Detectors defined in config: a user regex, or a list of exact terms. Patterns come from
// operators, not attackers, but one careless `(\w+)+` would let any request body pin a CPU, so
// they are screened before use and every unbounded repetition is capped at maxLength.
import type { Detector } from '../types.js';
import { analyzePattern } from './regex-analysis.js';
import { termsPattern } from './term-trie.js';

/** Longest match a config may ask for; it is also the streaming hold-back, so keep it modest. */
export const MAX_CUSTOM_LENGTH = 16_384;

/** Longest deny-list term: names and code words, not documents. */
export const MAX_TERM_LENGTH = 256;

const NAME = /^[a-z0-9][a-z0-9_-]*$/;

export interface CustomDetectorOptions {
  readonly name: string;
  /** ECMAScript regex source, compiled with the g and u flags. */
  readonly pattern: string;
  /** Defaults to `[NAME]`. */
  readonly label?: string;
  /** Required when the pattern has `*`, `+` or `{n,}`; those are then capped at this length. */
  readonly maxLength?: number;
}

export interface DenyListOptions {
  readonly name: string;
  readonly values: readonly string[];
  readonly label?: string;
}

function checkName(name: string): void {
  if (!NAME.test(name)) throw new Error(`detector name '${name}' must match ${NAME.source}`);
}

const defaultLabel = (name: string): string => `[${name.toUpperCase()}]`;

/** Replaces each `*`, `+`, `{n,}` with `{n,cap}`, keeping any lazy `?` after it. */
function capRepetitions(source: string, spans: ReturnType<typeof analyzePattern>['unbounded'], cap: number): string {
  let out = source;
  for (const { start, end, min } of [...spans].sort((a, b) => b.start - a.start)) {
    if (min > cap) throw new Error(`a repetition needs at least ${min} characters, more than maxLength ${cap}`);
    out = `${out.slice(0, start)}{${min},${cap}}${out.slice(end)}`;
  }
  return out;
}

function compile(source: string, flags: string, what: string): RegExp {
  try {
    const re = new RegExp(source, flags);
    re.exec(''); // V8 compiles lazily; surface "too large" errors at config time, not mid-request
    re.lastIndex = 0;
    return re;
  } catch (err) {
    throw new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** A detector from a user regex; throws an Error saying why when the pattern is unsafe. */
export function customDetector(options: CustomDetectorOptions): Detector {
  const { name, pattern, maxLength } = options;
  checkName(name);
  const what = `custom detector '${name}'`;
  if (maxLength !== undefined && (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > MAX_CUSTOM_LENGTH)) {
    throw new Error(`${what}: maxLength must be an integer from 1 to ${MAX_CUSTOM_LENGTH}`);
  }
  compile(pattern, 'gu', `${what}: invalid pattern`);
  const original = analyzePattern(pattern, true);
  if (original.max === Infinity && maxLength === undefined) {
    throw new Error(`${what}: the pattern has an unbounded repetition (*, + or {n,}); bound it as {m,n} or set maxLength`);
  }
  // Judge what will actually run: the capped pattern, where '+' has become {1,maxLength}.
  const source = maxLength === undefined ? pattern : capRepetitions(pattern, original.unbounded, maxLength);
  const analysis = source === pattern ? original : analyzePattern(source, true);
  if (analysis.hazards.length > 0) throw new Error(`${what}: unsafe pattern: ${analysis.hazards.join('; ')}`);
  if (analysis.lookaroundChars > 1) throw new Error(`${what}: lookarounds may examine at most one character`);
  if (analysis.min === 0) throw new Error(`${what}: the pattern can match the empty string`);
  if (maxLength === undefined && analysis.max > MAX_CUSTOM_LENGTH) {
    throw new Error(`${what}: matches can be ${analysis.max} characters long, over ${MAX_CUSTOM_LENGTH}; set a smaller maxLength`);
  }
  const bound = Math.min(maxLength ?? analysis.max, analysis.max);
  const detector: Detector = {
    name,
    label: options.label ?? defaultLabel(name),
    pattern: compile(source, 'gu', `${what}: invalid pattern`),
    maxLength: bound,
  };
  // Capping each repetition does not cap their sum; the bound must hold for the streaming masker.
  return analysis.max > bound ? { ...detector, validate: (candidate) => candidate.length <= bound } : detector;
}

/**
 * Exact terms (names, project code words), case-insensitive, longest first so that
 * 'New York City' wins over 'New York'. A term must not continue a word on either side.
 */
export function denyListDetector(options: DenyListOptions): Detector {
  const { name } = options;
  checkName(name);
  const terms = [...new Set(options.values.map((v) => v.trim()))].filter((v) => v !== '');
  if (terms.length === 0) throw new Error(`deny-list detector '${name}': values must hold at least one non-blank term`);
  const tooLong = terms.find((t) => t.length > MAX_TERM_LENGTH);
  if (tooLong !== undefined) throw new Error(`deny-list detector '${name}': the term '${tooLong.slice(0, 20)}…' is longer than ${MAX_TERM_LENGTH}`);
  const word = '[\\p{L}\\p{M}\\p{N}_]';
  const source = `(?<!${word})(?:${termsPattern(terms)})(?!${word})`;
  return {
    name,
    label: options.label ?? defaultLabel(name),
    pattern: compile(source, 'giu', `deny-list detector '${name}'`),
    // Simple case folding maps BMP to BMP and astral to astral, so lengths in code units hold.
    maxLength: Math.max(...terms.map((t) => t.length)),
  };
}
