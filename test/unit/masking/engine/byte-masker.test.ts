// The byte side of the streaming maskers: decoding must be exactly what one streaming UTF-8
// decoder gives (same text per chunk, an error at the same chunk), whatever shortcuts it takes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteMasker, type TextStage } from '../../../../src/masking/engine/byte-masker.js';
import { splitAt } from './fixtures.js';

const identity = (): TextStage => ({ counts: {}, push: (text) => text, end: () => '' });

/** Each push's output (or the error), then end's, from a plain streaming decoder. */
function reference(chunks: readonly Uint8Array[]): string[] {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const out: string[] = [];
  try {
    for (const chunk of chunks) out.push(decoder.decode(chunk, { stream: true }));
    out.push(decoder.decode());
  } catch {
    out.push('error');
  }
  return out;
}

function actual(chunks: readonly Uint8Array[]): string[] {
  const masker = new ByteMasker(identity());
  const out: string[] = [];
  try {
    for (const chunk of chunks) out.push(masker.push(chunk).toString('utf8'));
    out.push(masker.end().toString('utf8'));
  } catch {
    out.push('error');
  }
  return out;
}

// Mostly ASCII, with every length of UTF-8 sequence, a BOM, and invalid or truncated sequences.
const piece = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: fc.constantFrom('a', ' ', '{', '"', '0', '\n'), maxLength: 8 }).map((s) => [...Buffer.from(s)]) },
  { weight: 2, arbitrary: fc.constantFrom('é', '€', '😀', '\ufeff', 'ß').map((s) => [...Buffer.from(s)]) },
  { weight: 1, arbitrary: fc.constantFrom([0xff], [0x80], [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf5, 0x80, 0x80, 0x80]) },
);

describe('ByteMasker decoding', () => {
  it('gives what one streaming decoder gives, chunk by chunk, for any bytes and any split', () => {
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 12 }).chain((pieces) => {
          const bytes = Uint8Array.from(pieces.flat());
          return fc.tuple(fc.constant(bytes), fc.array(fc.nat({ max: bytes.length }), { maxLength: 8 }));
        }),
        ([bytes, cuts]) => {
          const chunks = splitAt(bytes, cuts);
          expect(actual(chunks)).toEqual(reference(chunks));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('decodes chunks that are not Buffers, or views into a larger buffer', () => {
    const backing = new Uint8Array([0x78, ...Buffer.from('ab é c'), 0x78]);
    const view = backing.subarray(1, backing.length - 1);
    expect(actual([view, new Uint8Array([0x64])])).toEqual(['ab é c', 'd', '']);
  });
});
