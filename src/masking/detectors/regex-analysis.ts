// Static checks on a regex: how long its matches can be, and the shapes that make a backtracking
// engine blow up. The hazard rules are deliberately simple and conservative (they reject some
// safe patterns); they are a screen for user-supplied patterns, not a proof of linearity.
import { type CharSet, complement, intersects } from './charset.js';
import { parseRegex, type RegexNode } from './regex-parse.js';
import { allChars, type Bounds, charCount, firstChars, flat, lastChars, lengthBounds, nullable, variable, walk } from './regex-nodes.js';

type Repeat = Extract<RegexNode, { type: 'repeat' }>;

export interface PatternAnalysis extends Bounds {
  /** Human-readable reasons the pattern may backtrack catastrophically; empty when none found. */
  readonly hazards: readonly string[];
  /** The `*`, `+` and `{n,}` counts, by source position, for rewriting into bounded ones. */
  readonly unbounded: readonly { readonly start: number; readonly end: number; readonly min: number }[];
  /** The longest text any lookaround examines, in characters. */
  readonly lookaroundChars: number;
}

/**
 * Variable-length items a sequence pins down: the next item is required and starts with a
 * character the item itself can never consume, so where it stops is never in doubt
 * (`\d{1,3}\.`, ` ?[A-Z]{4}`).
 */
function delimited(root: RegexNode): WeakSet<RegexNode> {
  const pinned = new WeakSet<RegexNode>();
  for (const node of walk(root)) {
    if (node.type !== 'seq') continue;
    const items = flat(node.items);
    items.forEach((item, i) => {
      const next = items[i + 1];
      if (next !== undefined && !nullable(next) && !intersects(allChars(item), firstChars(next))) pinned.add(item);
    });
  }
  return pinned;
}

function adjacencyHazards(root: RegexNode): string[] {
  const out: string[] = [];
  for (const node of walk(root)) {
    if (node.type !== 'seq') continue;
    const items = flat(node.items);
    items.forEach((item, i) => {
      if (!variable(item)) return;
      // Two neighbouring variable-length items multiply their choices when the first can end
      // with what the second can start with (`\d+\d+`, `\w*\.?\w*`), nullable items between.
      for (const next of items.slice(i + 1)) {
        if (variable(next) && intersects(lastChars(item), firstChars(next))) {
          out.push('adjacent variable-length repetitions can match the same characters (like \\d+\\d+)');
          return;
        }
        if (!nullable(next)) return;
      }
    });
  }
  return out;
}

/**
 * How much a repetition's length may vary before it needs a pinned start. A scan that fails late
 * costs up to that many steps, and without a pinned start it is retried from every position of a
 * long run: 100 KB of letters against `[a-z]{1,16384}@` takes seconds.
 */
export const LONG_RUN = 64;

const isLongRun = (node: RegexNode): boolean => node.type === 'repeat' && node.max - node.min > LONG_RUN;

/** True when every character of `inner` is in `outer`. */
const within = (inner: CharSet, outer: CharSet): boolean => !intersects(inner, complement(outer));

/**
 * Whether `before` stops a match from starting `run` in the middle of a run of characters `run`
 * could have consumed: a '^', a lookbehind ruling those characters out, or a required item that
 * cannot end with one of them.
 */
function pinsStart(before: RegexNode | undefined, run: RegexNode): boolean {
  if (before === undefined) return false;
  if (before.type === 'assert') return before.what === '^';
  if (before.type === 'look' && before.behind) {
    const seen = allChars(before.body);
    return before.negative ? within(firstChars(run), seen) : !intersects(seen, allChars(run));
  }
  return !nullable(before) && !intersects(lastChars(before), allChars(run));
}

function longRunHazards(root: RegexNode): string[] {
  const pinned = new WeakSet<RegexNode>();
  for (const node of walk(root)) {
    if (node.type !== 'seq') continue;
    const items = flat(node.items);
    items.forEach((item, i) => {
      if (isLongRun(item) && pinsStart(items[i - 1], item)) pinned.add(item);
    });
  }
  const out: string[] = [];
  for (const node of walk(root)) {
    if (node.type === 'repeat' && isLongRun(node) && !pinned.has(node)) {
      out.push(
        `a repetition of more than ${LONG_RUN} characters near position ${node.countStart} must follow a character it cannot match, '^' or a lookbehind such as (?<![a-z])`,
      );
    }
  }
  return out;
}

function repeatHazards(rep: Repeat, pinned: WeakSet<RegexNode>): string[] {
  if (rep.max <= 1) return [];
  const out: string[] = [];
  if (nullable(rep.body)) out.push(`a repeated part can match the empty string (near position ${rep.countStart})`);
  for (const inner of walk(rep.body)) {
    if (inner.type === 'repeat' && inner.min !== inner.max && !pinned.has(inner)) {
      out.push(`nested quantifiers (like (a+)+ or (a*)*) near position ${inner.countStart}`);
    }
    if (inner.type === 'alt') {
      const firsts = inner.options.map(firstChars);
      const overlap = inner.options.some(nullable) || firsts.some((a, i) => firsts.slice(i + 1).some((b) => intersects(a, b)));
      if (overlap) out.push(`a repeated alternation whose branches can match the same text (like (a|a)*) near position ${rep.countStart}`);
    }
  }
  return out;
}

/** Parses and analyses a pattern the engine has already compiled. */
export function analyzePattern(source: string, unicode: boolean): PatternAnalysis {
  const root = parseRegex(source, unicode);
  const pinned = delimited(root);
  const hazards: string[] = [];
  const unbounded: { start: number; end: number; min: number }[] = [];
  let lookaroundChars = 0;
  for (const node of walk(root)) {
    if (node.type === 'backref') hazards.push('backreferences (\\1, \\k<name>) are not allowed');
    if (node.type === 'look') lookaroundChars = Math.max(lookaroundChars, charCount(node.body));
    if (node.type === 'repeat') {
      hazards.push(...repeatHazards(node, pinned));
      if (node.max === Infinity) unbounded.push({ start: node.countStart, end: node.countEnd, min: node.min });
    }
  }
  hazards.push(...adjacencyHazards(root), ...longRunHazards(root));
  return { ...lengthBounds(root, unicode), hazards: [...new Set(hazards)], unbounded, lookaroundChars };
}
