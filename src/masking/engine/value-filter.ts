// Ruling out JSON values that cannot hold a match, a chunk at a time. Every match of a rule
// contains its filter factor (triggers.ts), so a value whose text holds no occurrence of any
// rule's factor needs no detector run at all. Occurrences are looked up in the chunk, not per
// value: for each rule the next occurrence at or after the value being checked is remembered, so
// a factor search runs about once per occurrence in the chunk rather than once per value per rule.
import type { CompiledProfile } from './compile.js';
import type { Filter } from './triggers.js';

/** One factor search, shared by the rules whose filters search for the same thing. */
interface Finder {
  readonly filter: Filter;
  /** The rules it stands for, by index. */
  readonly rules: readonly number[];
  /** The first occurrence at or after the last position it was looked up from (Infinity: none; -1: not looked up). */
  next: number;
}

export class ValueFilter {
  private text = '';
  private readonly finders: readonly Finder[];
  /** The finders by `next`, nearest first; those behind a query are refreshed from the front. */
  private readonly order: Finder[];
  /** By rule: the shortest match. */
  private readonly minLengths: readonly number[];
  /** Rules set to 1 in `candidates` by the last call. */
  private readonly marked: number[] = [];
  /** False when some rule has no filter: then nothing can be ruled out. */
  readonly active: boolean;
  /**
   * After mayMatch returned true: 1 for each rule that may match in the range, 0 for the others
   * (by rule index, for maskValue).
   */
  readonly candidates: Uint8Array;

  constructor(profile: CompiledProfile) {
    const filters = profile.rules.map((r) => r.filter);
    this.active = filters.length > 0 && filters.every((f) => f !== undefined);
    const byKey = new Map<string, { filter: Filter; rules: number[] }>();
    if (this.active) {
      filters.forEach((filter, r) => {
        const key = `${filter!.literal ?? ''}\u0000${filter!.scan.source}\u0000${filter!.scan.flags}`;
        const entry = byKey.get(key) ?? { filter: filter!, rules: [] };
        entry.rules.push(r);
        byKey.set(key, entry);
      });
    }
    this.finders = [...byKey.values()].map(({ filter, rules }) => ({ filter, rules, next: -1 }));
    this.order = [...this.finders];
    this.minLengths = profile.rules.map((r) => r.minLength);
    this.candidates = new Uint8Array(profile.rules.length).fill(this.active ? 0 : 1);
  }

  /** A new chunk; positions are offsets in it. */
  begin(text: string): void {
    this.text = text;
    for (const f of this.finders) f.next = -1;
  }

  /**
   * Whether text[from, to) of the current chunk may hold a match of some rule; false means it
   * certainly holds none. Within a chunk, `from` must not decrease from one call to the next.
   */
  mayMatch(from: number, to: number): boolean {
    if (!this.active) return true; // candidates stay all 1
    const { order, candidates, marked } = this;
    while (marked.length > 0) candidates[marked.pop()!] = 0;
    // Bring every search up to `from`: the ones behind it are at the front.
    while (order[0]!.next < from) {
      const f = order[0]!;
      f.next = find(f.filter, this.text, from);
      let i = 0;
      while (i + 1 < order.length && order[i + 1]!.next < f.next) {
        order[i] = order[i + 1]!;
        i++;
      }
      order[i] = f;
    }
    let may = false;
    for (let i = 0; i < order.length; i++) {
      const f = order[i]!;
      if (f.next >= to) break;
      if (f.next + f.filter.minUnits > to) continue;
      for (const r of f.rules) {
        if (to - from < this.minLengths[r]!) continue;
        candidates[r] = 1;
        marked.push(r);
        may = true;
      }
    }
    return may;
  }
}

/** The start of the first occurrence of the filter's factor at or after `from`, or Infinity. */
function find(filter: Filter, text: string, from: number): number {
  if (filter.literal !== undefined) {
    const k = text.indexOf(filter.literal, from);
    return k < 0 ? Infinity : k;
  }
  const { scan } = filter;
  scan.lastIndex = from;
  if (filter.scanLength !== undefined) return scan.test(text) ? scan.lastIndex - filter.scanLength : Infinity;
  const m = scan.exec(text);
  return m === null ? Infinity : m.index;
}
