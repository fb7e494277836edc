// Questions about a parsed regex: how long its matches can be, whether it can match nothing, and
// which characters it can start or end with. Character sets err on the wide side throughout.
import { ANY, type CharSet, hasAstral, hasBmp, union } from './charset.js';
import type { RegexNode } from './regex-parse.js';

export interface Bounds {
  readonly min: number;
  /** Infinity when some quantifier is unbounded. */
  readonly max: number;
}

/** Match length in UTF-16 code units (`unicode`: an atom may match a surrogate pair). */
export function lengthBounds(node: RegexNode, unicode: boolean): Bounds {
  switch (node.type) {
    case 'char':
      return unicode ? { min: hasBmp(node.set) ? 1 : 2, max: hasAstral(node.set) ? 2 : 1 } : { min: 1, max: 1 };
    case 'seq':
      return node.items.reduce<Bounds>((acc, item) => {
        const b = lengthBounds(item, unicode);
        return { min: acc.min + b.min, max: acc.max + b.max };
      }, { min: 0, max: 0 });
    case 'alt': {
      const all = node.options.map((o) => lengthBounds(o, unicode));
      return { min: Math.min(...all.map((b) => b.min)), max: Math.max(...all.map((b) => b.max)) };
    }
    case 'look':
    case 'assert':
      return { min: 0, max: 0 };
    case 'backref':
      return { min: 0, max: Infinity };
    case 'repeat': {
      const b = lengthBounds(node.body, unicode);
      return { min: b.min * node.min, max: b.max === 0 || node.max === 0 ? 0 : b.max * node.max };
    }
  }
}

export const charCount = (node: RegexNode): number => lengthBounds(node, false).max;
export const nullable = (node: RegexNode): boolean => lengthBounds(node, false).min === 0;
export const variable = (node: RegexNode): boolean => {
  const b = lengthBounds(node, false);
  return b.min !== b.max;
};

/** Every character the node can consume anywhere. */
export function allChars(node: RegexNode): CharSet {
  switch (node.type) {
    case 'char':
      return node.set;
    case 'seq':
      return union(...node.items.map(allChars));
    case 'alt':
      return union(...node.options.map(allChars));
    case 'repeat':
      return allChars(node.body);
    case 'backref':
      return ANY;
    default:
      return [];
  }
}

/** The characters a match of the node can start with (lookarounds ignored: wider is safe). */
export function firstChars(node: RegexNode): CharSet {
  switch (node.type) {
    case 'char':
      return node.set;
    case 'seq': {
      const sets: CharSet[] = [];
      for (const item of node.items) {
        sets.push(firstChars(item));
        if (!nullable(item)) break;
      }
      return union(...sets);
    }
    case 'alt':
      return union(...node.options.map(firstChars));
    case 'repeat':
      return firstChars(node.body);
    case 'backref':
      return ANY;
    default:
      return [];
  }
}

/** The characters a match of the node can end with. */
export function lastChars(node: RegexNode): CharSet {
  switch (node.type) {
    case 'seq': {
      const sets: CharSet[] = [];
      for (const item of [...node.items].reverse()) {
        sets.push(lastChars(item));
        if (!nullable(item)) break;
      }
      return union(...sets);
    }
    case 'alt':
      return union(...node.options.map(lastChars));
    case 'repeat':
      return lastChars(node.body);
    default:
      return firstChars(node);
  }
}

function children(node: RegexNode): readonly RegexNode[] {
  switch (node.type) {
    case 'seq':
      return node.items;
    case 'alt':
      return node.options;
    case 'repeat':
    case 'look':
      return [node.body];
    default:
      return [];
  }
}

export function* walk(node: RegexNode): Generator<RegexNode> {
  yield node;
  for (const child of children(node)) yield* walk(child);
}

/** Sequence items with nested sequences spliced in, so neighbours are really adjacent. */
export const flat = (items: readonly RegexNode[]): RegexNode[] => items.flatMap((i) => (i.type === 'seq' ? flat(i.items) : [i]));
