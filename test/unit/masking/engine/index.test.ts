import { describe, expect, it } from 'vitest';
import { createStreamingMasker, maskBuffered, maskJson, maskText } from '../../../../src/masking/engine/index.js';
import { StreamingJsonMasker } from '../../../../src/masking/engine/streaming-json.js';
import { StreamingTextMasker } from '../../../../src/masking/engine/streaming-text.js';
import { MaskingError } from '../../../../src/masking/types.js';
import { profileOf, splitAt } from './fixtures.js';
import { runChunks } from './stream-helpers.js';

const profile = profileOf({ email: 'redact', card: 'partial' }, { fieldNames: ['ssn'] });

describe('createStreamingMasker and maskBuffered', () => {
  it('pick the masker by kind', () => {
    expect(createStreamingMasker(profile, 'json')).toBeInstanceOf(StreamingJsonMasker);
    expect(createStreamingMasker(profile, 'text')).toBeInstanceOf(StreamingTextMasker);
  });

  it('give the same bytes for the same body', () => {
    const json = Buffer.from('{"ssn": "1", "to": "a@b.com", "card": 4111111111111111, "é": "😀"}');
    const text = Buffer.from('to a@b.com, card 4111 1111 1111 1111 😀');
    for (const [kind, body] of [['json', json], ['text', text]] as const) {
      const buffered = maskBuffered(body, profile, kind);
      const streamed = createStreamingMasker(profile, kind);
      const out = runChunks(streamed, splitAt(body, [3, 17, 40]));
      expect(out.output).toEqual(buffered.body);
      expect(streamed.counts).toEqual(buffered.counts);
    }
    expect(maskBuffered(json, profile, 'json')).toEqual({
      body: Buffer.from('{"ssn": "[REDACTED]", "to": "[EMAIL]", "card": "****1111", "é": "😀"}'),
      counts: { field: 1, email: 1, card: 1 },
    });
  });

  it('give the bytes and counts of maskJson and maskText for bodies many slices long', () => {
    const objects = Array.from({ length: 6000 }, (_, i) => ({ i, to: `user${i}@example.com`, card: i % 7 === 0 ? 4111111111111111 : 'none', é: '😀'.repeat(i % 5), ssn: i }));
    const json = JSON.stringify(objects, null, 2);
    const text = objects.map((o) => `mail ${o.to} card 4111 1111 1111 1111 é😀`).join('\n');
    for (const [kind, body, whole] of [
      ['json', json, maskJson(json, profile)],
      ['text', text, maskText(text, profile)],
    ] as const) {
      expect(Buffer.byteLength(body)).toBeGreaterThan(4 * 64 * 1024);
      const buffered = maskBuffered(Buffer.from(body), profile, kind);
      expect(buffered.body.toString('utf8')).toBe(whole.text);
      expect(buffered.counts).toEqual(whole.counts);
    }
  });

  it('throw MaskingError for invalid JSON and invalid UTF-8', () => {
    expect(() => maskBuffered(Buffer.from('{"a":}'), profile, 'json')).toThrow(MaskingError);
    expect(() => maskBuffered(Buffer.from([0x7b, 0xff, 0x7d]), profile, 'json')).toThrow('the body is not valid UTF-8');
    expect(() => maskBuffered(Buffer.from([0xe2, 0x82]), profile, 'text')).toThrow('the body is not valid UTF-8');
    // Invalid UTF-8 is reported before invalid JSON, wherever each is.
    expect(() => maskBuffered(Buffer.concat([Buffer.from('{"a":}'), Buffer.alloc(200_000, 0x20), Buffer.from([0xff])]), profile, 'json')).toThrow(
      'the body is not valid UTF-8',
    );
  });

  it('pass the JSON limits through', () => {
    expect(() => maskBuffered(Buffer.from('[[[1]]]'), profile, 'json', { maxDepth: 2 })).toThrow(/nesting deeper than 2/);
    expect(() => runChunks(createStreamingMasker(profile, 'json', { maxDepth: 2 }), [Buffer.from('[[[1]]]')])).toThrow(MaskingError);
  });
});
