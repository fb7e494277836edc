// Ruling out JSON values that cannot hold a match, a chunk at a time. Every match of a rule
// contains its filter factor (triggers.ts), so a value whose text holds no occurrence of any
// rule's factor needs no detector run at all. Occurrences are looked up in the chunk, not per
// value: for each rule the next occurrence at or after the value being checked is remembered, so
// a factor search runs about once per occurrence in the chunk rather than once per value per rule.
import type { CompiledProfile } from './compile.js';
import type { ValueCandidates } from './matches.js';
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
  /** By rule: whether its trigger searches for its filter's factor. */
  private readonly shared: readonly boolean[];
  /** False when some rule has no filter: then nothing can be ruled out. */
  readonly active: boolean;
  private readonly found: { rules: number[]; firstFactor: number[]; count: number } = { rules: [], firstFactor: [], count: 0 };

  /**
   * After mayMatch returned true: the rules that may match in the range and where their trigger
   * factor first occurs in it, for maskValue; undefined when the filter rules nothing out.
   */
  get candidates(): ValueCandidates | undefined {
    return this.active ? this.found : undefined;
  }

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
    this.shared = profile.rules.map((r) => r.triggerIsFilter);
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
    if (!this.active) return true;
    const { order, found: candidates } = this;
    candidates.count = 0;
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
        // In rule order (ties between rules go to the first); a handful at most.
        let at = candidates.count++;
        while (at > 0 && candidates.rules[at - 1]! > r) {
          candidates.rules[at] = candidates.rules[at - 1]!;
          candidates.firstFactor[at] = candidates.firstFactor[at - 1]!;
          at--;
        }
        candidates.rules[at] = r;
        candidates.firstFactor[at] = this.shared[r] ? f.next - from : -1;
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
