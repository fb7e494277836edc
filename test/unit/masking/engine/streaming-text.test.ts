import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StreamingTextMasker } from '../../../../src/masking/engine/streaming-text.js';
import { maskText } from '../../../../src/masking/engine/text.js';
import { DETECTORS } from '../../../../src/masking/detectors/index.js';
import { MaskingError, type MaskingProfile } from '../../../../src/masking/types.js';
import { email, fillerText, profileOf, splitAt, textWithPii } from './fixtures.js';
import { outcome, runChunks } from './stream-helpers.js';

const profile = profileOf({ email: 'redact', card: 'partial', key_tag: 'hash' });
const MAX_LENGTH = Math.max(...profile.rules.map((r) => r.detector.maxLength));
const anyText = fc.oneof(fillerText, textWithPii.map((t) => t.text));

function streamed(bytes: Uint8Array, cuts: readonly number[]): string {
  return runChunks(new StreamingTextMasker(profile), splitAt(bytes, cuts)).output.toString('utf8');
}

describe('StreamingTextMasker', () => {
  it('masks a value split anywhere, including inside a multi-byte character', () => {
    const input = Buffer.from('é alice@example.com 🔑clé ok');
    const whole = maskText(input.toString('utf8'), profile).text;
    for (let cut = 0; cut <= input.length; cut++) expect(streamed(input, [cut])).toBe(whole);
    expect(streamed(input, Array.from({ length: input.length }, (_, i) => i))).toBe(whole);
  });

  it('holds an email whose domain may go on in the next chunk', () => {
    const masker = new StreamingTextMasker(profile);
    const first = masker.push(Buffer.from('write to alice@example.co')).toString();
    expect(first).toBe('');
    const rest = masker.push(Buffer.from('m.au please')).toString() + masker.end().toString();
    expect(first + rest).toBe('write to [EMAIL] please');
  });

  it('equals maskText for every split into two chunks', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const bytes = Buffer.from(text);
        const whole = maskText(text, profile).text;
        for (let cut = 0; cut <= bytes.length; cut++) expect(streamed(bytes, [cut])).toBe(whole);
      }),
      { numRuns: 60 },
    );
  });

  it('equals maskText for random splits into many chunks', () => {
    fc.assert(
      fc.property(
        anyText.chain((text) => fc.tuple(fc.constant(text), fc.array(fc.nat({ max: Buffer.byteLength(text) }), { maxLength: 40 }))),
        ([text, cuts]) => {
          const run = runChunks(new StreamingTextMasker(profile), splitAt(Buffer.from(text), cuts));
          expect(run.output.toString('utf8')).toBe(maskText(text, profile).text);
          // maxLength undecided characters and one code point of context, each maybe one unit
          // more where a surrogate pair sits at the cut.
          expect(run.maxHeld).toBeLessThanOrEqual(MAX_LENGTH + 3);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never releases an injected value, however it is chunked', () => {
    fc.assert(
      fc.property(textWithPii, fc.array(fc.nat({ max: 400 }), { maxLength: 20 }), ({ text, pii }, cuts) => {
        const out = streamed(Buffer.from(text), cuts);
        for (const value of pii) expect(out).not.toContain(value);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects invalid UTF-8, in a chunk or at the end', () => {
    expect(outcome(() => runChunks(new StreamingTextMasker(profile), [Buffer.from([0x61, 0xff])]).output)).toBe('error:MaskingError');
    expect(outcome(() => runChunks(new StreamingTextMasker(profile), [Buffer.from([0x61, 0xc3])]).output)).toBe('error:MaskingError');
    const masker = new StreamingTextMasker(profile);
    expect(() => masker.push(Buffer.from([0xff]))).toThrow(MaskingError);
    expect(() => masker.end()).toThrow(MaskingError);
  });

  it('keeps a byte order mark', () => {
    expect(streamed(Buffer.from('\ufeffa@b.com'), [1])).toBe('\ufeff[EMAIL]');
  });

  it('holds at most maxLength + 2 characters over a 50 MB body', () => {
    // One MiB of mixed text with an email or card about every 200 bytes, sent 50 times in odd-sized chunks.
    const values = ['alice.smith@example.com', '4111 1111 1111 1111', 'bob@mail.example.org', '5500-0055-5555-5559'];
    const lines: string[] = [];
    let size = 0;
    let injected = 0;
    while (size < 1024 * 1024) {
      const line = `${'lorem ipsum dolor sit amet, 42 consectetur é adipiscing elit '.repeat(3).slice(0, 170)}${values[injected % values.length]!}\n`;
      lines.push(line);
      size += Buffer.byteLength(line);
      injected += 1;
    }
    const block = Buffer.from(lines.join(''));
    const chunkSize = 65_537;
    function* chunks(): Generator<Uint8Array> {
      for (let n = 0; n < 50; n++) {
        for (let at = 0; at < block.length; at += chunkSize) yield block.subarray(at, at + chunkSize);
      }
    }
    const masker = new StreamingTextMasker(profile);
    let maxHeld = 0;
    let outBytes = 0;
    for (const chunk of chunks()) {
      outBytes += masker.push(chunk).length;
      maxHeld = Math.max(maxHeld, masker.heldChars);
    }
    outBytes += masker.end().length;
    expect(maxHeld).toBeLessThanOrEqual(email.maxLength + 2);
    expect(maxHeld).toBeLessThanOrEqual(MAX_LENGTH + 2);
    const emails = Math.ceil(injected / 2);
    expect(masker.counts).toEqual({ email: 50 * emails, card: 50 * (injected - emails) });
    expect(outBytes).toBeGreaterThan(40 * 1024 * 1024);
  });

  it("keeps as much released text as a lookbehind reads: a token right after 'Bearer ' at a cut", () => {
    const bearer: MaskingProfile = { name: 'b', rules: [{ detector: DETECTORS.get('bearer_token')!, action: 'redact' }], fieldNames: [], fieldPaths: [] };
    const text = `${'x'.repeat(100)}Authorization: Bearer abcdefgh12345678 ${'y'.repeat(9000)}`;
    const whole = maskText(text, bearer).text;
    expect(whole).not.toContain('abcdefgh12345678');
    // The release point (8194 characters before the end of what arrived) falls on every
    // position around the token's start for one of these cuts.
    for (let cut = 8250; cut <= 8400; cut++) {
      const bytes = Buffer.from(text);
      expect(runChunks(new StreamingTextMasker(bearer), splitAt(bytes, [cut])).output.toString('utf8'), `cut at ${cut}`).toBe(whole);
    }
  });
});
