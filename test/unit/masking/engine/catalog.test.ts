// The engine with the real detector catalog: its streaming guarantee rests on every detector
// keeping the contract (one-character lookarounds, maxLength a true bound), which this checks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DETECTORS } from '../../../../src/masking/detectors/index.js';
import { maskJson } from '../../../../src/masking/engine/json.js';
import { StreamingJsonMasker } from '../../../../src/masking/engine/streaming-json.js';
import { StreamingTextMasker } from '../../../../src/masking/engine/streaming-text.js';
import { maskText } from '../../../../src/masking/engine/text.js';
import type { MaskingProfile } from '../../../../src/masking/types.js';
import { splitAt } from './fixtures.js';
import { runChunks } from './stream-helpers.js';

// The secrets with 8–16 KiB bounds are left out: on these small inputs they would hold everything
// back to the end, and the cut logic for the others would not be exercised.
const catalog: MaskingProfile = {
  name: 'catalog',
  rules: [...DETECTORS.values()].filter((d) => d.maxLength <= 1024).map((detector) => ({ detector, action: 'redact' })),
  fieldNames: [],
  fieldPaths: [],
};

const SAMPLES = [
  'alice.smith@example.com',
  '4111 1111 1111 1111',
  '4111111111111111',
  'DE89 3704 0044 0532 0130 00',
  'GB82WEST12345698765432',
  '+44 20 7946 0958',
  '(555) 123-4567',
  '192.168.1.20',
  '2001:db8::8a2e:370:7334',
  '123-45-6789',
  'AB123456C',
  'AKIAIOSFODNN7EXAMPLE',
];

const text = fc
  .array(
    fc.oneof(
      fc.string({ unit: fc.constantFrom('a', 'Z', '0', '1', '4', '5', '9', ' ', '-', '.', ':', '@', '+', '(', ')', '/', '\n', 'é', '😀'), maxLength: 30 }),
      fc.constantFrom(...SAMPLES),
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(''));

describe('the engine with the detector catalog', () => {
  it('masks the samples', () => {
    const { text: out } = maskText(SAMPLES.join(' | '), catalog);
    for (const sample of SAMPLES) expect(out).not.toContain(sample);
  });

  it('streams text exactly as it masks it whole', () => {
    fc.assert(
      fc.property(
        text.chain((t) => fc.tuple(fc.constant(t), fc.array(fc.nat({ max: Buffer.byteLength(t) }), { maxLength: 12 }))),
        ([t, cuts]) => {
          const out = runChunks(new StreamingTextMasker(catalog), splitAt(Buffer.from(t), cuts)).output.toString('utf8');
          expect(out).toBe(maskText(t, catalog).text);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('streams JSON exactly as it masks it whole', () => {
    fc.assert(
      fc.property(
        fc.array(text, { maxLength: 4 }).map((values) => JSON.stringify({ values, n: 4111111111111111 })),
        fc.array(fc.nat({ max: 400 }), { maxLength: 12 }),
        (json, cuts) => {
          const out = runChunks(new StreamingJsonMasker(catalog), splitAt(Buffer.from(json), cuts)).output.toString('utf8');
          expect(out).toBe(maskJson(json, catalog).text);
        },
      ),
      { numRuns: 150 },
    );
  });
});
