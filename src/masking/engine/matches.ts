// Finding and replacing matches in a window of text that may not be the whole text yet.
//
// The semantics, shared by the buffered and the streaming maskers so that both give the same
// output for any chunking:
//   - scanning from position p, each rule's candidate is the first position s >= p where its
//     pattern matches (the match its RegExp yields there) and `validate` accepts it; a rejected
//     candidate gives that rule nothing at s, and the search goes on from the next character;
//   - of all rules' candidates, the earliest start wins, then the longest, then the first rule;
//   - the winner is replaced, and scanning continues at its end.
// A position s is DECIDED once the text reaches s + maxLength (inclusive): a match there ends by
// s + maxLength and its one-character lookahead reads at most that far, and any pattern path that
// would read further cannot succeed (maxLength is a true bound). Lookbehind reads a few
// characters before s (one, or seven for 'Bearer '; CompiledProfile.context), which the
// streaming caller keeps as context. So with `final` false only positions before
// `text.length - maxLength` are decided, and nothing at or after that may be released.
import type { MaskCounts } from '../types.js';
import { MaskingError } from '../types.js';
import { replacementFor } from './actions.js';
import type { CompiledProfile, CompiledRule } from './compile.js';
import type { Trigger } from './triggers.js';

interface Match {
  readonly rule: CompiledRule;
  readonly start: number;
  readonly end: number;
  readonly value: string;
}

export interface MaskedRange {
  /** The masked text of [from, releasedTo). */
  readonly output: string;
  /** Where the undecided tail begins; the caller keeps text from here (and one character before it). */
  readonly releasedTo: number;
}

const isHigh = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdbff;
const isLow = (unit: number): boolean => unit >= 0xdc00 && unit <= 0xdfff;

function stepFrom(rule: CompiledRule, text: string, at: number): number {
  return rule.unicode && isHigh(text.charCodeAt(at)) && isLow(text.charCodeAt(at + 1)) ? at + 2 : at + 1;
}

/**
 * A candidate the regex yielded at `start`, not validated yet. Over-long matches are refused
 * here: the hold-back is sized by maxLength, and a longer match would make streaming unsound.
 */
function candidate(rule: CompiledRule, start: number, value: string): Match {
  const { detector } = rule;
  if (value.length > detector.maxLength) {
    throw new MaskingError(`detector "${detector.name}" matched ${value.length} characters, more than its maxLength ${detector.maxLength}`);
  }
  return { rule, start, end: start + value.length, value };
}

/** Whether the rule accepts a candidate: not empty, and its checksum or structure check passes. */
function accepted(match: Match): boolean {
  const { validate } = match.rule.detector;
  return match.value.length > 0 && (validate === undefined || validate(match.value));
}

/**
 * The rule's first candidate (the regex's match, not validated) at or after `from` that starts
 * before `horizon`, if any.
 */
function nextCandidate(rule: CompiledRule, text: string, from: number, horizon: number, hint = -1): Match | null {
  if (from >= horizon) return null;
  if (rule.trigger !== undefined) return nextTriggered(rule, rule.trigger, text, from, horizon, hint);
  const { pattern } = rule;
  pattern.lastIndex = from;
  const m = pattern.exec(text);
  return m === null || m.index >= horizon ? null : candidate(rule, m.index, m[0]);
}

/**
 * nextCandidate through the rule's pre-filter: every match holds the factor `lo`..`hi` units
 * after its start, so from an occurrence at k only starts in [k - hi, k - lo] can match, and
 * none between `at` and the first occurrence's k - hi. Those starts are tried in order by the
 * window regex, which yields exactly what the plain pattern would yield from the first of them.
 */
function nextTriggered(rule: CompiledRule, trigger: Trigger, text: string, from: number, horizon: number, hint: number): Match | null {
  const { lo, hi } = trigger.factor;
  const { window, sticky, literal, scan, scanLength } = trigger;
  const last = text.length - rule.minLength;
  let at = from;
  while (at < horizon && at <= last) {
    const scanFrom = at + lo > 0 ? at + lo : 0;
    let k: number;
    if (hint >= scanFrom) {
      // The caller already knows the first occurrence at or after `from`.
      k = hint;
      hint = -1;
    } else if (literal !== undefined) {
      k = text.indexOf(literal, scanFrom);
      if (k < 0) return null;
    } else if (scanLength !== undefined) {
      scan.lastIndex = scanFrom;
      if (!scan.test(text)) return null;
      k = scan.lastIndex - scanLength;
    } else {
      scan.lastIndex = scanFrom;
      const m = scan.exec(text);
      if (m === null) return null;
      k = m.index;
    }
    let s0 = k - hi > at ? k - hi : at;
    if (s0 >= horizon) return null;
    if (s0 < k) {
      const { matchChars } = trigger;
      let j = k;
      while (j > s0) {
        const code = text.charCodeAt(j - 1);
        if (code < 128 && matchChars[code] === 0) break;
        j -= 1;
      }
      s0 = j;
    }
    // Never start inside a surrogate pair: the plain pattern steps over whole code points.
    if (rule.unicode && isLow(text.charCodeAt(s0)) && isHigh(text.charCodeAt(s0 - 1))) s0 += 1;
    if (sticky !== undefined) {
      // One possible start: a test and a slice, no match array.
      sticky.lastIndex = s0;
      if (sticky.test(text)) return s0 >= horizon ? null : candidate(rule, s0, text.slice(s0, sticky.lastIndex));
    } else {
      window.lastIndex = s0;
      const w = window.exec(text);
      if (w !== null) {
        const value = w[1]!;
        const start = w.index + w[0].length - value.length;
        return start >= horizon ? null : candidate(rule, start, value);
      }
    }
    // Every start up to k - lo was tried.
    const next = k - lo + 1;
    at = next > at ? next : stepFrom(rule, text, at);
  }
  return null;
}

/** Where the last replaceMatches call stopped scanning (set by it; the engine is single-threaded and never re-entered). */
let scanEnd = 0;

/** Per-rule candidate arrays for replaceMatches, by rule count, reused across calls (growing one is a runtime call). */
const scratch: (Match | null | undefined)[][] = [];

/**
 * Replaces every match that starts in [from, horizon) (scanning on from each replaced match's
 * end). Returns the masked text of [from, scanEnd), where scanEnd is `from` or the end of the
 * last match, and null if nothing matched (scanEnd = from).
 *
 * Candidates are validated lazily, earliest first: a rule's candidate is only checked once no
 * other rule has one that starts earlier, so checksums of text an earlier match swallows (the
 * digits inside an IBAN, for a card) are never computed. The outcome is the one the semantics
 * above describe, validating every rule's candidates in turn.
 */
function replaceMatches(
  profile: CompiledProfile,
  text: string,
  from: number,
  horizon: number,
  counts: MaskCounts,
  only?: ValueCandidates,
): string | null {
  const { rules } = profile;
  const n = only === undefined ? rules.length : only.count;
  // By position in `only` (or rule): undefined: not searched yet; null: none before the horizon
  // (valid for any later scan position); a Match: the first candidate at or after the position
  // it was searched from.
  const next = (scratch[n] ??= new Array<Match | null | undefined>(n));
  for (let i = 0; i < n; i++) next[i] = undefined;
  let out: string | null = null;
  let p = from;
  for (;;) {
    let first = Infinity;
    for (let i = 0; i < n; i++) {
      let c = next[i];
      if (c === undefined || (c !== null && c.start < p)) {
        const rule = rules[only === undefined ? i : only.rules[i]!]!;
        c = c === undefined && only !== undefined ? nextCandidate(rule, text, p, horizon, only.firstFactor[i]) : nextCandidate(rule, text, p, horizon);
        next[i] = c;
      }
      if (c !== null && c.start < first) first = c.start;
    }
    if (first === Infinity) break;
    // Check the candidates at the earliest start; a rejected one searches on from the next character.
    let best: Match | null = null;
    for (let i = 0; i < n; i++) {
      const c = next[i];
      if (c === null || c === undefined || c.start !== first) continue;
      if (accepted(c)) {
        if (best === null || c.end > best.end) best = c;
      } else {
        next[i] = nextCandidate(c.rule, text, stepFrom(c.rule, text, first), horizon);
      }
    }
    if (best === null) continue;
    const replacement = replacementFor(best.rule, best.value, profile.hashKey);
    out = (out ?? '') + (best.start > p ? text.slice(p, best.start) + replacement : replacement);
    const name = best.rule.detector.name;
    counts[name] = (counts[name] ?? 0) + 1;
    p = best.end;
  }
  for (let i = 0; i < n; i++) next[i] = undefined; // let the matches go
  scanEnd = p;
  return out;
}

/**
 * Masks `text` from `from`: every decided match is replaced and counted, and the output runs up
 * to the first undecided position (or the end of the last match, if later). With `final`, the
 * whole rest is decided and released.
 */
export function maskRange(profile: CompiledProfile, text: string, from: number, final: boolean, counts: MaskCounts): MaskedRange {
  if (profile.rules.length === 0) return { output: text.slice(from), releasedTo: text.length };
  let known = text.length;
  // A pattern's lookahead may read a whole surrogate pair; its second half has not arrived yet.
  if (!final && known > 0 && isHigh(text.charCodeAt(known - 1))) known -= 1;
  const horizon = final ? text.length : known - profile.maxLength;

  const masked = replaceMatches(profile, text, from, horizon, counts);
  const p = scanEnd;
  let releasedTo = final ? text.length : Math.max(p, horizon);
  // Never release half of a surrogate pair: output is encoded per release.
  if (releasedTo > p && releasedTo < text.length && isLow(text.charCodeAt(releasedTo)) && isHigh(text.charCodeAt(releasedTo - 1))) {
    releasedTo -= 1;
  }
  const rest = releasedTo > p ? text.slice(p, releasedTo) : '';
  return { output: masked === null ? rest : masked + rest, releasedTo };
}

/**
 * Which rules a caller knows may match in a value (indices into the profile's rules, ascending;
 * the others certainly do not), and for each the value offset of the first occurrence of its
 * trigger factor, or -1.
 */
export interface ValueCandidates {
  /** The first `count` entries hold them. */
  readonly rules: readonly number[];
  readonly firstFactor: readonly number[];
  readonly count: number;
}

/**
 * A whole value (a JSON string's content, a number): its masked form, or null when nothing in
 * it matched. The same as maskRange(profile, text, 0, true, counts), minus the allocations for
 * the common case of nothing to mask; `candidates` narrows the rules to run.
 */
export function maskValue(profile: CompiledProfile, text: string, counts: MaskCounts, candidates?: ValueCandidates): string | null {
  if (text.length < profile.minLength || profile.rules.length === 0) return null;
  const masked = candidates === undefined ? replaceMatches(profile, text, 0, text.length, counts) : replaceMatches(profile, text, 0, text.length, counts, candidates);
  if (masked === null) return null;
  return scanEnd < text.length ? masked + text.slice(scanEnd) : masked;
}

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * maskValue for the content of a JSON string written without escapes (no quote, backslash or
 * control character), returned as a JSON string literal: JSON.stringify of the masked content,
 * built directly when nothing in it needs escaping (the replacements are JSON-safe and there is
 * no surrogate, which JSON.stringify would escape if it stood alone).
 */
export function maskPlainJsonString(profile: CompiledProfile, content: string, counts: MaskCounts, candidates?: ValueCandidates): string | null {
  const masked = maskValue(profile, content, counts, candidates);
  if (masked === null) return null;
  return profile.jsonSafe && !SURROGATE.test(content) ? `"${masked}"` : JSON.stringify(masked);
}

/**
 * The last `units` code units of text[0, end) (widened to keep a surrogate pair whole), kept as
 * lookbehind context for the next scan.
 */
export function contextBefore(text: string, end: number, units = 1): string {
  if (end <= 0) return '';
  let start = Math.max(0, end - units);
  if (start > 0 && isLow(text.charCodeAt(start)) && isHigh(text.charCodeAt(start - 1))) start -= 1;
  return text.slice(start, end);
}
