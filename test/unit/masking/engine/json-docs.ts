// Generators of JSON documents with PII at random places, for the JSON property tests.
import fc from 'fast-check';
import type { MaskingProfile } from '../../../../src/masking/types.js';
import { fillerText, piiValue, profileOf } from './fixtures.js';
import type { Json } from './oracle.js';

export const jsonProfile: MaskingProfile = profileOf(
  { email: 'redact', card: 'partial', key_tag: 'hash' },
  { fieldNames: ['ssn'], fieldPaths: ['$.customer.secret', '*.token'] },
);

/** What jsonProfile's field rules replace, written independently of the engine's path code. */
export function redactedByJsonProfile(path: readonly (string | number)[]): boolean {
  const last = path[path.length - 1];
  if (typeof last !== 'string') return false;
  const key = last.toLowerCase();
  if (key === 'ssn' || key === 'token') return true;
  return path.length === 2 && typeof path[0] === 'string' && path[0].toLowerCase() === 'customer' && key === 'secret';
}

const KEYS = ['id', 'name', 'note', 'Email', 'ssn', 'SSN', 'customer', 'secret', 'Secret', 'token', 'items', 'é', 'k"q', 'a\\b', '😀'];

function documentOf(pool: readonly string[], maxDepth: number): fc.Arbitrary<Json> {
  const cards = pool.filter((v) => /^\d{16}$/.test(v));
  const leaves: fc.Arbitrary<Json>[] = [
    fillerText,
    fc.constantFrom(...pool),
    fc.tuple(fillerText, fc.constantFrom(...pool), fillerText).map(([a, v, b]) => `${a}\n${v}\n${b}`),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
  ];
  if (cards.length > 0) leaves.push(fc.constantFrom(...cards).map(Number));
  const { value } = fc.letrec<{ value: Json; array: Json[]; object: Record<string, Json> }>((tie) => ({
    value: fc.oneof({ maxDepth, depthIdentifier: 'doc' }, fc.oneof(...leaves), tie('array'), tie('object')),
    array: fc.array(tie('value'), { maxLength: 4, depthIdentifier: 'doc' }),
    object: fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 4, depthIdentifier: 'doc' }),
  }));
  return value;
}

export interface PiiDocument {
  readonly text: string;
  readonly value: Json;
  readonly pii: readonly string[];
}

/**
 * A document, serialised with a random indentation and, at random, with '@', 'é' and emoji
 * written as \u escapes (they only occur inside strings, so the text stays valid).
 */
export function piiDocument(maxDepth = 3): fc.Arbitrary<PiiDocument> {
  return fc.uniqueArray(piiValue, { minLength: 1, maxLength: 4 }).chain((pool) =>
    fc
      .record({
        value: documentOf(pool, maxDepth),
        indent: fc.constantFrom(undefined, 2, '\t'),
        escapes: fc.record({ at: fc.boolean(), accent: fc.boolean(), emoji: fc.boolean() }),
      })
      .map(({ value, indent, escapes }) => {
        let text = JSON.stringify(value, null, indent);
        if (escapes.at) text = text.replaceAll('@', '\\u0040');
        if (escapes.accent) text = text.replaceAll('é', '\\u00e9');
        if (escapes.emoji) text = text.replaceAll('😀', '\\ud83d\\ude00');
        // The document as its text means it: JSON has no -0, so fast-check's -0 reads back as 0.
        return { text, value: JSON.parse(JSON.stringify(value)) as typeof value, pii: pool };
      }),
  );
}
