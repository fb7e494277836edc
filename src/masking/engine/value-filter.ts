// Ruling out JSON values that cannot hold a match, a chunk at a time. Every match of a rule
// contains its filter factor (triggers.ts), so a value whose text holds no occurrence of any
// rule's factor needs no detector run at all. Occurrences are looked up in the chunk, not per
// value: for each rule the next occurrence at or after the value being checked is remembered, so
// a factor search runs about once per occurrence in the chunk rather than once per value per rule.
import type { CompiledProfile } from './compile.js';
import type { Filter } from './triggers.js';

export class ValueFilter {
  private text = '';
  private readonly filters: readonly Filter[];
  /** Per filter: the first occurrence at or after the last position it was looked up from (Infinity: none; -1: not looked up). */
  private readonly next: number[];
  /** The smallest of `next`, and the smallest occurrence end; every `next` is valid for queries at or before `floor`. */
  private floor = -1;
  private floorEnd = -1;
  /** Per filter: the shortest match of its rule. */
  private readonly minLengths: readonly number[];
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
    this.filters = this.active ? (filters as Filter[]) : [];
    this.minLengths = profile.rules.map((r) => r.minLength);
    this.next = this.filters.map(() => -1);
    this.candidates = new Uint8Array(profile.rules.length).fill(1);
  }

  /** A new chunk; positions are offsets in it. */
  begin(text: string): void {
    this.text = text;
    this.next.fill(-1);
    this.floor = -1;
    this.floorEnd = -1;
  }

  /**
   * Whether text[from, to) of the current chunk may hold a match of some rule; false means it
   * certainly holds none. Within a chunk, `from` must not decrease from one call to the next.
   */
  mayMatch(from: number, to: number): boolean {
    if (!this.active) return true; // candidates stay all 1
    if (from <= this.floor && to < this.floorEnd) return false;
    let floor = Infinity;
    let floorEnd = Infinity;
    let may = false;
    const { candidates } = this;
    for (let r = 0; r < this.filters.length; r++) {
      const filter = this.filters[r]!;
      let k = this.next[r]!;
      if (k < from) {
        k = find(filter, this.text, from);
        this.next[r] = k;
      }
      const candidate = k + filter.minUnits <= to && to - from >= this.minLengths[r]! ? 1 : 0;
      candidates[r] = candidate;
      if (candidate === 1) may = true;
      if (k < floor) floor = k;
      if (k + filter.minUnits < floorEnd) floorEnd = k + filter.minUnits;
    }
    this.floor = floor;
    this.floorEnd = floorEnd;
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
