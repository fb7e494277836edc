import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskJson } from '../../../../src/masking/engine/json.js';
import { StreamingJsonMasker } from '../../../../src/masking/engine/streaming-json.js';
import type { JsonLimits } from '../../../../src/masking/engine/json-tokenizer.js';
import { MaskingError } from '../../../../src/masking/types.js';
import { splitAt } from './fixtures.js';
import { jsonProfile as profile, piiDocument, redactedByJsonProfile } from './json-docs.js';
import { referenceMaskJson, type Json } from './oracle.js';
import { outcome, runChunks } from './stream-helpers.js';

function streamed(bytes: Uint8Array, cuts: readonly number[], limits?: JsonLimits): string {
  return runChunks(new StreamingJsonMasker(profile, limits), splitAt(bytes, cuts)).output.toString('utf8');
}

function collectStrings(value: Json, into: string[] = []): string[] {
  if (typeof value === 'string') into.push(value);
  else if (Array.isArray(value)) value.forEach((v) => collectStrings(v, into));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((v) => collectStrings(v, into));
  return into;
}

const withCuts = <T extends { text: string }>(doc: T): fc.Arbitrary<[T, number[]]> =>
  fc.tuple(fc.constant(doc), fc.array(fc.nat({ max: Buffer.byteLength(doc.text) }), { maxLength: 30 }));

describe('StreamingJsonMasker', () => {
  it('handles a chunk split inside \\u00e9, inside a surrogate-pair escape and inside a 4-byte character', () => {
    const input = Buffer.from('{"k😀": "caf\\u00e9 a@b.com \\ud83d\\ude00 😀 x"}');
    const whole = maskJson(input.toString('utf8'), profile).text;
    expect(whole).toBe('{"k😀": "café [EMAIL] 😀 😀 x"}');
    for (let cut = 0; cut <= input.length; cut++) expect(streamed(input, [cut])).toBe(whole);
    expect(streamed(input, Array.from({ length: input.length }, (_, i) => i))).toBe(whole);
    const afterU00 = input.indexOf('\\u00e9') + 4;
    expect(streamed(input, [afterU00])).toBe(whole);
  });

  it('equals maskJson for every split into two chunks', () => {
    fc.assert(
      fc.property(piiDocument(2).filter((d) => d.text.length < 400), ({ text }) => {
        const bytes = Buffer.from(text);
        const whole = maskJson(text, profile).text;
        for (let cut = 0; cut <= bytes.length; cut++) expect(streamed(bytes, [cut])).toBe(whole);
      }),
      { numRuns: 40 },
    );
  });

  it('equals maskJson for random splits, and the output parses to the masked document', () => {
    fc.assert(
      fc.property(piiDocument().chain(withCuts), ([{ text, value, pii }, cuts]) => {
        const whole = maskJson(text, profile).text;
        expect(streamed(Buffer.from(text), cuts)).toBe(whole);
        const parsed = JSON.parse(whole) as Json;
        expect(parsed).toEqual(referenceMaskJson(value, profile, redactedByJsonProfile));
        for (const v of pii) {
          expect(whole).not.toContain(v);
          for (const s of collectStrings(parsed)) expect(s).not.toContain(v);
        }
      }),
      { numRuns: 250 },
    );
  });

  it('masks long strings in streaming fashion with the same result for any split', () => {
    const limits = { maxStringChars: 12 };
    fc.assert(
      fc.property(piiDocument().chain(withCuts), ([{ text, value }, cuts]) => {
        const whole = maskJson(text, profile, limits).text;
        expect(streamed(Buffer.from(text), cuts, limits)).toBe(whole);
        expect(JSON.parse(whole)).toEqual(referenceMaskJson(value, profile, redactedByJsonProfile));
      }),
      { numRuns: 200 },
    );
  });

  it('keeps arbitrary JSON (any unicode) intact apart from what it masks', () => {
    fc.assert(
      fc.property(fc.json({ stringUnit: 'binary', maxDepth: 3 }).chain((text) => withCuts({ text })), ([{ text }, cuts]) => {
        const whole = maskJson(text, profile).text;
        expect(streamed(Buffer.from(text), cuts)).toBe(whole);
        expect(JSON.parse(whole)).toEqual(referenceMaskJson(JSON.parse(text) as Json, profile, redactedByJsonProfile));
      }),
      { numRuns: 200 },
    );
  });

  it('rejects exactly what JSON.parse rejects, streamed or not', () => {
    const mutated = fc
      .tuple(fc.json({ maxDepth: 2 }), fc.nat(), fc.constantFrom('', '{', '}', '[', ']', '"', ',', ':', '0', '-', 'e', 't', '\\', 'u', ' ', 'x'), fc.boolean())
      .map(([text, at, insert, remove]) => {
        const i = at % (text.length + 1);
        return text.slice(0, i) + insert + text.slice(remove ? i + 1 : i);
      })
      .filter((text) => text.trim() !== '');
    fc.assert(
      fc.property(mutated.chain((text) => withCuts({ text })), ([{ text }, cuts]) => {
        const buffered = outcome(() => maskJson(text, profile).text);
        const parses = outcome(() => JSON.stringify(JSON.parse(text)));
        expect(buffered.startsWith('error:MaskingError')).toBe(parses.startsWith('error:'));
        expect(outcome(() => streamed(Buffer.from(text), cuts))).toBe(buffered);
      }),
      { numRuns: 400 },
    );
  });

  it.each([
    ['truncated', '{"a": [1, 2'],
    ['trailing garbage', '{"a": 1}}'],
    ['a missing value', '{"a":}'],
    ['a truncated escape', '["\\ud83d\\ude'],
    ['a truncated literal', '[nul'],
  ])('rejects %s input in streaming mode too', (_, text) => {
    const bytes = Buffer.from(text);
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(() => runChunks(new StreamingJsonMasker(profile), splitAt(bytes, [cut]))).toThrow(MaskingError);
    }
  });

  it('stays failed after an error', () => {
    const masker = new StreamingJsonMasker(profile);
    expect(() => masker.push(Buffer.from('{"a":}'))).toThrow(MaskingError);
    expect(() => masker.push(Buffer.from('1'))).toThrow(MaskingError);
    expect(() => masker.end()).toThrow(MaskingError);
  });

  it('holds a bounded amount over a 50 MB array of objects', () => {
    const object = (i: number): string =>
      `{"id": ${i}, "email": "user${i}@example.com", "note": "card 4111 1111 1111 1111 paid", "tags": ["a", "b"], "ssn": "123-45-6789", "amount": 12.5}`;
    const objects: string[] = [];
    let size = 0;
    while (size < 1024 * 1024) {
      const o = `${object(objects.length)},\n`;
      objects.push(o);
      size += o.length;
    }
    const block = Buffer.from(objects.join(''));
    const chunkSize = 65_537;
    const masker = new StreamingJsonMasker(profile);
    let maxHeld = 0;
    let outBytes = masker.push(Buffer.from('[')).length;
    for (let n = 0; n < 50; n++) {
      for (let at = 0; at < block.length; at += chunkSize) {
        outBytes += masker.push(block.subarray(at, at + chunkSize)).length;
        maxHeld = Math.max(maxHeld, masker.heldChars);
      }
    }
    outBytes += masker.push(Buffer.from('{}]')).length + masker.end().length;
    expect(maxHeld).toBeLessThan(64);
    expect(masker.counts).toEqual({ email: 50 * objects.length, card: 50 * objects.length, field: 50 * objects.length });
    expect(outBytes).toBeGreaterThan(40 * 1024 * 1024);
  });

  it('holds at most the string limit for a huge string value, then streams it', () => {
    const limits = { maxStringChars: 64 * 1024 };
    const line = 'lorem ipsum alice@example.com dolor 4111 1111 1111 1111 sit amet\n';
    const chunk = Buffer.from(JSON.stringify(line.repeat(1000)).slice(1, -1));
    const masker = new StreamingJsonMasker(profile, limits);
    let maxHeld = 0;
    let tailHeld = 0;
    const out: Buffer[] = [masker.push(Buffer.from('{"blob": "'))];
    for (let n = 0; n < 300; n++) {
      out.push(masker.push(chunk));
      maxHeld = Math.max(maxHeld, masker.heldChars);
      if (n > 10) tailHeld = Math.max(tailHeld, masker.heldChars);
    }
    out.push(masker.push(Buffer.from('"}')), masker.end());
    expect(maxHeld).toBeLessThanOrEqual(2 * limits.maxStringChars);
    expect(tailHeld).toBeLessThanOrEqual(200);
    const parsed = JSON.parse(Buffer.concat(out).toString('utf8')) as { blob: string };
    expect(parsed.blob).toBe('lorem ipsum [EMAIL] dolor ****1111 sit amet\n'.repeat(300_000));
  });
});
