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
// would read further cannot succeed (maxLength is a true bound). Lookbehind reads one character
// before s, which the streaming caller keeps as context. So with `final` false only positions
// before `text.length - maxLength` are decided, and nothing at or after that may be released.
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

/** A candidate the regex yielded at `start`: null when rejected, the match when accepted. */
function accept(rule: CompiledRule, start: number, value: string): Match | null {
  const { detector } = rule;
  if (value.length > detector.maxLength) {
    // The hold-back is sized by maxLength; a longer match would make streaming unsound.
    throw new MaskingError(`detector "${detector.name}" matched ${value.length} characters, more than its maxLength ${detector.maxLength}`);
  }
  if (value.length > 0 && (detector.validate === undefined || detector.validate(value))) return { rule, start, end: start + value.length, value };
  return null;
}

/** The rule's first accepted candidate at or after `from` that starts before `horizon`, if any. */
function nextMatch(rule: CompiledRule, text: string, from: number, horizon: number): Match | null {
  if (rule.trigger !== undefined) return nextTriggered(rule, rule.trigger, text, from, horizon);
  const { pattern } = rule;
  let at = from;
  while (at < horizon) {
    pattern.lastIndex = at;
    const m = pattern.exec(text);
    if (m === null || m.index >= horizon) return null;
    const match = accept(rule, m.index, m[0]);
    if (match !== null) return match;
    at = stepFrom(rule, text, m.index);
  }
  return null;
}

/**
 * nextMatch through the rule's pre-filter: every match holds the factor `lo`..`hi` units after
 * its start, so from an occurrence at k only starts in [k - hi, k - lo] can match, and none
 * between `at` and the first occurrence's k - hi. Those starts are tried in order by the window
 * regex, which yields exactly what the plain pattern would yield from the first of them.
 */
function nextTriggered(rule: CompiledRule, trigger: Trigger, text: string, from: number, horizon: number): Match | null {
  const { lo, hi } = trigger.factor;
  const { window, sticky, literal, scan, scanLength } = trigger;
  const last = text.length - rule.minLength;
  let at = from;
  while (at < horizon && at <= last) {
    const scanFrom = at + lo > 0 ? at + lo : 0;
    let k: number;
    if (literal !== undefined) {
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
      if (sticky.test(text)) {
        if (s0 >= horizon) return null;
        const match = accept(rule, s0, text.slice(s0, sticky.lastIndex));
        if (match !== null) return match;
        at = stepFrom(rule, text, s0);
      } else {
        const next = k - lo + 1;
        at = next > at ? next : stepFrom(rule, text, at);
      }
      continue;
    }
    window.lastIndex = s0;
    const w = window.exec(text);
    if (w === null) {
      // Every start up to k - lo was tried.
      const next = k - lo + 1;
      at = next > at ? next : stepFrom(rule, text, at);
      continue;
    }
    const value = w[1]!;
    const start = w.index + w[0].length - value.length;
    if (start >= horizon) return null;
    const match = accept(rule, start, value);
    if (match !== null) return match;
    at = stepFrom(rule, text, start);
  }
  return null;
}

/**
 * Replaces every match that starts in [from, horizon) (scanning on from each replaced match's
 * end), pushing the text between them and the replacements onto `parts`; returns where the
 * scan stopped: `from`, or the end of the last match.
 */
function replaceMatches(
  profile: CompiledProfile,
  text: string,
  from: number,
  horizon: number,
  counts: MaskCounts,
  parts: string[],
  candidates?: Uint8Array,
): number {
  const { rules } = profile;
  // undefined: not searched yet; null: none before the horizon (valid for any later scan position).
  const next: (Match | null | undefined)[] = new Array<Match | null | undefined>(rules.length);
  if (candidates !== undefined) for (let i = 0; i < rules.length; i++) if (candidates[i] === 0) next[i] = null;
  let p = from;
  for (;;) {
    let best: Match | null = null;
    for (let i = 0; i < rules.length; i++) {
      let candidate = next[i];
      if (candidate === undefined || (candidate !== null && candidate.start < p)) {
        candidate = nextMatch(rules[i]!, text, p, horizon);
        next[i] = candidate;
      }
      if (candidate !== null && (best === null || candidate.start < best.start || (candidate.start === best.start && candidate.end > best.end))) {
        best = candidate;
      }
    }
    if (best === null) return p;
    parts.push(text.slice(p, best.start), replacementFor(best.rule, best.value, profile.hashKey));
    const name = best.rule.detector.name;
    counts[name] = (counts[name] ?? 0) + 1;
    p = best.end;
  }
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

  const parts: string[] = [];
  const p = replaceMatches(profile, text, from, horizon, counts, parts);
  let releasedTo = final ? text.length : Math.max(p, horizon);
  // Never release half of a surrogate pair: output is encoded per release.
  if (releasedTo > p && releasedTo < text.length && isLow(text.charCodeAt(releasedTo)) && isHigh(text.charCodeAt(releasedTo - 1))) {
    releasedTo -= 1;
  }
  if (releasedTo > p) parts.push(text.slice(p, releasedTo));
  return { output: parts.length === 1 ? parts[0]! : parts.join(''), releasedTo };
}

/**
 * A whole value (a JSON string's content, a number): its masked form, or null when nothing in
 * it matched. The same as maskRange(profile, text, 0, true, counts), minus the allocations for
 * the common case of nothing to mask. `candidates` (by rule, 0 or 1) may rule out rules known to
 * have no match in the value.
 */
export function maskValue(profile: CompiledProfile, text: string, counts: MaskCounts, candidates?: Uint8Array): string | null {
  if (text.length < profile.minLength || profile.rules.length === 0) return null;
  const parts: string[] = [];
  const p = replaceMatches(profile, text, 0, text.length, counts, parts, candidates);
  if (parts.length === 0) return null;
  if (p < text.length) parts.push(text.slice(p));
  return parts.join('');
}

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * maskValue for the content of a JSON string written without escapes (no quote, backslash or
 * control character), returned as a JSON string literal: JSON.stringify of the masked content,
 * built in one go when nothing in it needs escaping (the replacements are JSON-safe and there is
 * no surrogate, which JSON.stringify would escape if it stood alone).
 */
export function maskPlainJsonString(profile: CompiledProfile, content: string, counts: MaskCounts, candidates?: Uint8Array): string | null {
  if (content.length < profile.minLength || profile.rules.length === 0) return null;
  const parts: string[] = ['"'];
  const p = replaceMatches(profile, content, 0, content.length, counts, parts, candidates);
  if (parts.length === 1) return null;
  parts.push(p < content.length ? content.slice(p) : '');
  if (!profile.jsonSafe || SURROGATE.test(content)) return JSON.stringify(parts.slice(1).join(''));
  parts.push('"');
  return parts.join('');
}

/** The last code point of text[0, end), kept as lookbehind context for the next scan. */
export function contextBefore(text: string, end: number): string {
  if (end <= 0) return '';
  const start = end >= 2 && isLow(text.charCodeAt(end - 1)) && isHigh(text.charCodeAt(end - 2)) ? end - 2 : end - 1;
  return text.slice(start, end);
}
