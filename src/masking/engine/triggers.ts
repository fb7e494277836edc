// Pre-filters for detector patterns: a short "factor" (a fixed sequence of character classes)
// that every match must contain at a bounded offset from its start, found by reading the pattern's
// structure. Scanning for the factor is far cheaper than running the whole pattern at every
// position (V8 skips through text for a fixed-length class sequence), and only the few starts near
// an occurrence can begin a match.
//
// Soundness rests on one property: EVERY match of the pattern contains the factor at an offset in
// [lo, hi] code units from the match start (lo < 0: inside a leading lookbehind). Character sets
// from the parser err on the wide side, which keeps that property; whatever cannot be reasoned
// about (backreferences, the v flag, a parse failure) gives no trigger, and the detector runs as
// before.
import type { CharSet } from '../detectors/charset.js';
import { parseRegex, type RegexNode } from '../detectors/regex-parse.js';
import { allChars, lengthBounds } from '../detectors/regex-nodes.js';
import { best, factorRate, type Factor } from './factor-rate.js';
import { asciiTable, classSource, literalPrefix } from './factor-source.js';

/** A factor and how to find it. */
export interface Filter {
  readonly factor: Factor;
  /** Finds the factor: global, the pattern's i/u flags. */
  readonly scan: RegExp;
  /** Code units of every occurrence of the factor when they are all alike: `scan.test` then gives the start without a match array. */
  readonly scanLength: number | undefined;
  /** The fewest code units an occurrence spans. */
  readonly minUnits: number;
  /** A literal the factor starts with, searched with indexOf instead of `scan` (which V8 does much faster). */
  readonly literal: string | undefined;
}

/** What the engine runs for a rule whose factor is rare enough and sits at a bounded offset. */
export interface Trigger extends Filter {
  /**
   * By ASCII code: 1 for characters a match can consume (anything non-ASCII counts as one). The
   * text between a match's start and a factor after it is made of these, so the start is no
   * earlier than where the run of them that ends at the factor begins.
   */
  readonly matchChars: Uint8Array;
  /**
   * Sticky: the pattern tried at each start from lastIndex to lastIndex + (hi - lo) characters,
   * in order, capturing the match in group 1 (start = index + [0].length - [1].length).
   */
  readonly window: RegExp;
  /** When hi = lo, the one start an occurrence allows is tried with this: the pattern, sticky. */
  readonly sticky: RegExp | undefined;
}

export interface PatternFacts {
  /** The shortest match in code units (0 if unknown). */
  readonly minLength: number;
  /** A factor to rule out whole values (or chunks) that cannot hold a match. */
  readonly filter: Filter | undefined;
  /** A factor to drive the search for matches (see nextTriggered in matches.ts). */
  readonly trigger: Trigger | undefined;
}

/** Longest factor kept: V8 scans a longer fixed sequence faster, but the regex grows. */
const MAX_CLASSES = 16;
/** Most alternatives in one factor: the scan slows down with each. */
const MAX_ALTS = 16;
/** Widest start window accepted: each occurrence may cost this many attempts of the pattern. */
const MAX_WINDOW = 256;
/** A trigger expected more often than this per character costs more than running the pattern. */
const MAX_RATE = 0.003;
/** A filter is worth checking as long as many values are free of its factor. */
const MAX_FILTER_RATE = 0.05;

type Bounded = (node: RegexNode) => { min: number; max: number };

const single = (classes: readonly CharSet[], lo: number, hi: number): Factor => ({ alts: [classes], lo, hi });

class Analyzer {
  constructor(
    private readonly bounds: Bounded,
    private readonly unicode: boolean,
  ) {}

  private readonly fixedMemo = new Map<RegexNode, CharSet[] | undefined>();
  private readonly edgeMemo = [new Map<RegexNode, CharSet[]>(), new Map<RegexNode, CharSet[]>()];

  /** The classes of a node that always matches the same number of characters, or undefined. */
  fixed(node: RegexNode): CharSet[] | undefined {
    if (this.fixedMemo.has(node)) return this.fixedMemo.get(node);
    const f = this.computeFixed(node);
    this.fixedMemo.set(node, f);
    return f;
  }

  /** Classes every match of the node starts with (`fromEnd`: ends with), maybe none. */
  edge(node: RegexNode, fromEnd: boolean): CharSet[] {
    const memo = this.edgeMemo[fromEnd ? 1 : 0]!;
    let e = memo.get(node);
    if (e === undefined) {
      e = this.computeEdge(node, fromEnd);
      memo.set(node, e);
    }
    return e;
  }

  private computeFixed(node: RegexNode): CharSet[] | undefined {
    switch (node.type) {
      case 'char':
        return [node.set];
      case 'look':
      case 'assert':
        return [];
      case 'backref':
        return undefined;
      case 'seq': {
        const out: CharSet[] = [];
        for (const item of node.items) {
          const f = this.fixed(item);
          if (f === undefined || out.length + f.length > MAX_CLASSES * 4) return undefined;
          out.push(...f);
        }
        return out;
      }
      case 'alt': {
        const all = node.options.map((o) => this.fixed(o));
        const first = all[0];
        if (first === undefined || all.some((f) => f === undefined || f.length !== first.length)) return undefined;
        return positionalUnion(all as CharSet[][], first.length, false);
      }
      case 'repeat': {
        if (node.min !== node.max) return undefined;
        const body = this.fixed(node.body);
        if (body === undefined || body.length * node.min > MAX_CLASSES * 4) return undefined;
        return Array.from({ length: node.min }, () => body).flat();
      }
    }
  }

  private computeEdge(node: RegexNode, fromEnd: boolean): CharSet[] {
    const clip = (classes: CharSet[]): CharSet[] => (fromEnd ? classes.slice(-MAX_CLASSES) : classes.slice(0, MAX_CLASSES));
    const f = this.fixed(node);
    if (f !== undefined) return clip(f);
    switch (node.type) {
      case 'seq': {
        const items = fromEnd ? [...node.items].reverse() : node.items;
        let out: CharSet[] = [];
        for (const item of items) {
          const g = this.fixed(item) ?? this.edge(item, fromEnd);
          out = fromEnd ? [...g, ...out] : [...out, ...g];
          if (this.fixed(item) === undefined || out.length >= MAX_CLASSES) break;
        }
        return clip(out);
      }
      case 'alt': {
        const edges = node.options.map((o) => this.edge(o, fromEnd));
        return positionalUnion(edges, Math.min(...edges.map((h) => h.length)), fromEnd);
      }
      case 'repeat': {
        if (node.min < 1) return [];
        const body = this.fixed(node.body);
        if (body === undefined) return this.edge(node.body, fromEnd);
        const out: CharSet[] = [];
        for (let i = 0; i < node.min && out.length < MAX_CLASSES; i++) out.push(...body);
        return clip(out);
      }
      default:
        return [];
    }
  }

  /** Code units a sequence of classes spans. */
  units(classes: readonly CharSet[]): { min: number; max: number } {
    let min = 0;
    let max = 0;
    for (const set of classes) {
      const astral = this.unicode && set.some(([, hi]) => hi > 0xffff);
      const bmp = !this.unicode || set.some(([lo]) => lo <= 0xffff);
      min += bmp ? 1 : 2;
      max += astral ? 2 : 1;
    }
    return { min, max };
  }

  /** Factors every match of the node contains, offsets from the node's start. */
  factors(node: RegexNode): Factor[] {
    switch (node.type) {
      case 'char':
        return [single([node.set], 0, 0)];
      case 'repeat': {
        if (node.min < 1) return [];
        const head = this.edge(node, false);
        return head.length > 0 ? [...this.factors(node.body), single(head, 0, 0)] : this.factors(node.body);
      }
      case 'alt': {
        const picks = node.options.map((o) => best(this.factors(o)));
        if (picks.some((p) => p === undefined)) return [];
        const chosen = picks as Factor[];
        const lo = Math.min(...chosen.map((p) => p.lo));
        const hi = Math.max(...chosen.map((p) => p.hi));
        const all = chosen.flatMap((p) => p.alts);
        const out: Factor[] = [single(positionalUnion(all, Math.min(...all.map((a) => a.length)), false), lo, hi)];
        if (all.length <= MAX_ALTS) out.push({ alts: all, lo, hi });
        const f = this.fixed(node);
        if (f !== undefined && f.length > 0) out.push(single(f.slice(0, MAX_CLASSES), 0, 0));
        return out;
      }
      case 'seq':
        return this.seqFactors(node.items);
      default:
        return [];
    }
  }

  /**
   * Runs of adjacent characters: fixed items (zero-width assertions do not break adjacency),
   * led by the tail of the variable item before them or by a positive lookbehind of fixed length,
   * and closed by the head of the variable item after them; plus the factors of required items.
   */
  private seqFactors(items: readonly RegexNode[]): Factor[] {
    const out: Factor[] = [];
    let pmin = 0;
    let pmax = 0;
    let run: CharSet[] = [];
    let rlo = 0;
    let rhi = 0;
    let before: Factor | undefined;
    const emit = (): void => {
      if (run.length > 0) out.push(single(run.slice(0, MAX_CLASSES), rlo, rhi));
      run = [];
    };
    const extend = (classes: readonly CharSet[], lo: number, hi: number): void => {
      if (run.length === 0) {
        rlo = lo;
        rhi = hi;
      }
      run.push(...classes);
    };
    for (const item of flatten(items)) {
      if (item.type === 'look') {
        const length = this.bounds(item.body);
        const body = item.behind && !item.negative && length.min === length.max ? this.fixed(item.body) : undefined;
        if (body !== undefined && body.length > 0) {
          const behind = single(body.slice(-MAX_CLASSES), pmin - this.units(body.slice(-MAX_CLASSES)).max, pmax - this.units(body.slice(-MAX_CLASSES)).min);
          out.push(behind);
          if (run.length === 0) before = behind;
        }
        continue;
      }
      if (item.type === 'assert') continue;
      const b = this.bounds(item);
      const f = this.fixed(item);
      if (run.length === 0 && before !== undefined) extend(before.alts[0]!, before.lo, before.hi);
      before = undefined;
      if (f !== undefined) {
        extend(f, pmin, pmax);
      } else {
        const head = this.edge(item, false);
        if (head.length > 0) extend(head, pmin, pmax);
        emit();
        if (b.min > 0) for (const g of this.factors(item)) out.push({ alts: g.alts, lo: g.lo + pmin, hi: g.hi + pmax });
        const tail = this.edge(item, true);
        if (tail.length > 0) {
          const u = this.units(tail);
          before = single(tail, pmin + b.min - u.max, pmax + b.max - u.min);
        }
      }
      pmin += b.min;
      pmax += b.max;
    }
    emit();
    return out;
  }
}

function flatten(items: readonly RegexNode[]): RegexNode[] {
  return items.flatMap((i) => (i.type === 'seq' ? flatten(i.items) : [i]));
}

function union(sets: readonly CharSet[]): CharSet {
  const ranges = sets.flat().map(([a, b]) => [a, b] as [number, number]);
  ranges.sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of ranges) {
    const last = out[out.length - 1];
    if (last !== undefined && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

/** Position by position unions of the first (`fromEnd`: last) `length` classes of each sequence. */
function positionalUnion(seqs: readonly (readonly CharSet[])[], length: number, fromEnd: boolean): CharSet[] {
  return Array.from({ length }, (_, i) => union(seqs.map((s) => s[fromEnd ? s.length - length + i : i]!)));
}

function hasBackref(node: RegexNode): boolean {
  switch (node.type) {
    case 'backref':
      return true;
    case 'seq':
      return node.items.some(hasBackref);
    case 'alt':
      return node.options.some(hasBackref);
    case 'repeat':
    case 'look':
      return hasBackref(node.body);
    default:
      return false;
  }
}

/** Lookbehinds longer than this (or unbounded, or in a pattern that cannot be read) count as this long. */
const MAX_LOOKBEHIND = 64;

/**
 * How far before a match its lookbehinds may read, in code units: what a streaming scan must
 * keep of the text it already released ('Bearer ' is seven; the contract's usual is one).
 */
export function lookbehindUnits(pattern: RegExp): number {
  if (pattern.flags.includes('v')) return MAX_LOOKBEHIND;
  const unicode = pattern.flags.includes('u');
  let root: RegexNode;
  try {
    root = parseRegex(pattern.source, unicode);
  } catch {
    return MAX_LOOKBEHIND;
  }
  let units = 0;
  const visit = (node: RegexNode): void => {
    if (node.type === 'look' && node.behind) units = Math.max(units, Math.min(lengthBounds(node.body, unicode).max, MAX_LOOKBEHIND));
    if (node.type === 'seq') node.items.forEach(visit);
    else if (node.type === 'alt') node.options.forEach(visit);
    else if (node.type === 'repeat' || node.type === 'look') visit(node.body);
  };
  visit(root);
  return units;
}

/** Minimum length and trigger of a pattern (its g and y flags are ignored). */
export function analyzeForScan(pattern: RegExp): PatternFacts {
  const none: PatternFacts = { minLength: 0, filter: undefined, trigger: undefined };
  // v-mode class syntax (nested classes, set operations) is beyond the parser.
  if (pattern.flags.includes('v')) return none;
  const unicode = pattern.flags.includes('u');
  let root: RegexNode;
  try {
    root = parseRegex(pattern.source, unicode);
  } catch {
    return none;
  }
  const bounds = (n: RegexNode): { min: number; max: number } => lengthBounds(n, unicode);
  const analyzer = new Analyzer(bounds, unicode);
  const minLength = bounds(root).min;
  const factors = analyzer.factors(root);
  const flags = pattern.flags.replace(/[gyd]/g, '');
  const scanOf = (factor: Factor): Omit<Filter, 'factor'> => {
    // Alternatives cut to one length (a prefix of a factor is one too) let scan.test give the
    // occurrence's start, without a match array.
    // Only when that costs little selectivity.
    const shortest = Math.min(...factor.alts.map((classes) => classes.length));
    const alts = [...new Map(factor.alts.map((classes) => classes.slice(0, shortest)).map((c) => [JSON.stringify(c), c])).values()];
    if (factorRate(alts) <= 2 * factorRate(factor.alts)) factor = { ...factor, alts };
    const lengths = factor.alts.map((classes) => analyzer.units(classes));
    const fixed = lengths.every((u) => u.min === u.max && u.min === lengths[0]!.min);
    return {
      scan: new RegExp(factor.alts.map((classes) => classes.map((c) => classSource(c, unicode)).join('')).join('|'), `${flags}g`),
      scanLength: fixed ? lengths[0]!.min : undefined,
      minUnits: Math.min(...lengths.map((u) => u.min)),
      literal: literalPrefix(factor, flags),
    };
  };

  // Where a factor sits does not matter to a filter: offsets may be unbounded.
  const loose = best(factors, false);
  const filter = loose !== undefined && factorRate(loose.alts) <= MAX_FILTER_RATE ? { factor: loose, ...scanOf(loose) } : undefined;

  // The window regex wraps the pattern in a group, which would renumber its backreferences.
  const factor = hasBackref(root) ? undefined : best(factors, true);
  if (factor === undefined || factor.hi - factor.lo > MAX_WINDOW || factorRate(factor.alts) > MAX_RATE) return { minLength, filter, trigger: undefined };
  const width = factor.hi - factor.lo;
  const window = new RegExp(width === 0 ? `(${pattern.source})` : `[\\s\\S]{0,${width}}?(${pattern.source})`, `${flags}y`);
  const sticky = width === 0 ? new RegExp(pattern.source, `${flags}y`) : undefined;
  const trigger: Trigger = { factor, ...scanOf(factor), window, sticky, matchChars: asciiTable(allChars(root), flags.includes('i')) };
  return { minLength, filter, trigger };
}
