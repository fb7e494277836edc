// Property tests over ext_proc message sequences: random order, missing phases and random chunking
// of bodies. The processor answers each message with its own type or a block, refuses what is out
// of order with a ProtocolError (never another failure), and no PII passes at any chunk split.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError, StreamProcessor } from '../../../src/extproc/processor.js';
import type { ProcessingRequest__Output } from '../../../src/envoy/generated/envoy/service/ext_proc/v3/ProcessingRequest.js';
import type { ProcessingResponse } from '../../../src/envoy/generated/envoy/service/ext_proc/v3/ProcessingResponse.js';
import { toStruct } from '../../../src/envoy/struct.js';
import { DETECTORS } from '../../../src/masking/detectors/index.js';
import { maskingProfiles } from '../../../src/masking/profile.js';
import { maskingConfigSchema } from '../../../src/masking/config.js';
import { FUZZ_RUNS, FUZZ_TIMEOUT_MS } from './runs.js';

const profiles = maskingProfiles(maskingConfigSchema.parse({ profiles: { pii: { detectors: { email: 'redact', card: 'partial', iban: 'redact' } } } }), DETECTORS);
const PII = ['jane.doe@example.org', '4111 1111 1111 1111', 'GB82WEST12345698765432'];

const metadata = (maskRequest: boolean) => ({
  filter_metadata: {
    'envoy.filters.http.ext_authz': toStruct({ residency: { decision: 'allow', request_id: 'f', target_region: 'eu-west-1', mask_request: maskRequest ? 'pii' : null, mask_response: 'pii' } }),
  },
});

const message = (kind: string, body = '', end = false): ProcessingRequest__Output => {
  const headers = { headers: { headers: [{ key: 'content-type', value: '', raw_value: Buffer.from('text/plain') }] }, end_of_stream: end };
  const m: Record<string, unknown> = { request: kind };
  if (kind.endsWith('_headers')) m[kind] = headers;
  if (kind.endsWith('_body')) m[kind] = { body: Buffer.from(body), end_of_stream: end };
  if (kind.endsWith('_trailers')) m[kind] = { trailers: { headers: [] } };
  if (kind === 'request_headers') m.metadata_context = metadata(true);
  return m as unknown as ProcessingRequest__Output;
};

const KINDS = ['request_headers', 'request_body', 'request_trailers', 'response_headers', 'response_body', 'response_trailers', 'nonsense'];

describe('ext_proc under random message sequences', () => {
  it('answers in kind, blocks, or refuses with a ProtocolError; nothing else', async () => {
    const step = fc.record({ kind: fc.constantFrom(...KINDS), body: fc.string({ maxLength: 30 }), end: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 12 }), async (steps) => {
        const processor = new StreamProcessor({ profiles, report: async () => undefined });
        for (const s of steps) {
          let answer: ProcessingResponse;
          try {
            answer = await processor.handle(message(s.kind, s.body, s.end));
          } catch (err) {
            expect(err).toBeInstanceOf(ProtocolError);
            return; // the service ends the stream with an error status here
          }
          const keys = Object.keys(answer).filter((k) => k !== 'dynamic_metadata');
          expect(keys).toHaveLength(1);
          if (keys[0] === 'immediate_response') {
            const code = answer.immediate_response?.status?.code as number;
            expect(code).toBeGreaterThanOrEqual(400);
            return;
          }
          expect(keys[0]).toBe(s.kind);
        }
      }),
      { numRuns: FUZZ_RUNS },
    );
  }, FUZZ_TIMEOUT_MS);

  it('lets no PII value through, whatever the chunking of a streamed request body', async () => {
    const body = fc
      .tuple(fc.array(fc.string({ maxLength: 20 }), { minLength: 1, maxLength: 6 }), fc.constantFrom(...PII))
      .map(([parts, pii]) => parts.join(` ${pii} `) + ` ${pii}`);
    const cuts = fc.array(fc.nat(), { maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(body, cuts, async (text, rawCuts) => {
        const bytes = Buffer.from(text);
        const points = [...new Set(rawCuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let from = 0;
        for (const p of [...points, bytes.length]) {
          chunks.push(bytes.subarray(from, p));
          from = p;
        }
        const processor = new StreamProcessor({ profiles, report: async () => undefined });
        await processor.handle(message('request_headers'));
        let delivered = '';
        for (const [i, chunk] of chunks.entries()) {
          const chunkMessage = { request: 'request_body', request_body: { body: chunk, end_of_stream: i === chunks.length - 1 } };
          const answer = await processor.handle(chunkMessage as unknown as ProcessingRequest__Output);
          const mutation = answer.request_body?.response?.body_mutation;
          delivered += mutation?.clear_body ? '' : Buffer.from((mutation?.body as Buffer | undefined) ?? chunk).toString('latin1');
        }
        const out = Buffer.from(delivered, 'latin1').toString('utf8');
        for (const pii of PII) expect(out).not.toContain(pii);
      }),
      { numRuns: FUZZ_RUNS },
    );
  }, FUZZ_TIMEOUT_MS);
});
