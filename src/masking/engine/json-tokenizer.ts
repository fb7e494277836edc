// An incremental JSON tokenizer that masks as it goes: a state machine over characters with a
// stack of open containers for field names and paths. Invalid JSON throws MaskingError with the
// character offset. Keys are never masked. A string value is held (up to the long-string limit,
// see json-string.ts) and a number or literal until it ends; everything else is copied through
// as it is read (see json-output.ts). A value under a field name or path becomes "[REDACTED]".
import type { MaskCounts } from '../types.js';
import { MaskingError } from '../types.js';
import { FIELD_REPLACEMENT } from './actions.js';
import type { CompiledProfile } from './compile.js';
import { couldBeLiteral, isLiteral, isNumber, LETTER_RUN, maskNumber, NUMBER_RUN, runEnd, WHITESPACE_RUN } from './json-lexical.js';
import { JsonOutput } from './json-output.js';
import { JsonStringReader, STRING_RUN, type StringSink } from './json-string-reader.js';
import { JsonStringValue } from './json-string.js';
import { maskValue } from './matches.js';
import { pathMatches } from './paths.js';
import { ValueFilter } from './value-filter.js';

export interface JsonLimits {
  /** Source characters of one string value held whole before it is masked in streaming fashion. Default 1 MiB. */
  readonly maxStringChars?: number;
  /** Deepest container nesting accepted. Default 512. */
  readonly maxDepth?: number;
  /** Longest number accepted, in characters. Default 4096. */
  readonly maxNumberChars?: number;
}

/**
 * Keys longer than this are not kept (they are still written out) and match no field name; with
 * the depth limit this bounds what the container stack holds.
 */
const MAX_KEY_CHARS = 256;
const REDACTED = JSON.stringify(FIELD_REPLACEMENT);
const QUOTE = 0x22;

type Expect = 'value' | 'value-or-close' | 'key-or-close' | 'key' | 'colon' | 'comma-or-close' | 'done';
type Token = 'none' | 'key' | 'string' | 'number' | 'literal';

interface Frame {
  readonly array: boolean;
  key: string;
  keyKnown: boolean;
  index: number;
}

export class JsonMaskingTokenizer {
  readonly counts: MaskCounts = {};
  private readonly maxStringChars: number;
  private readonly maxDepth: number;
  private readonly maxNumberChars: number;
  private readonly stack: Frame[] = [];
  private expect: Expect = 'value';
  private token: Token = 'none';
  private readonly reader = new JsonStringReader();
  private readonly sink: StringSink = {
    piece: (raw, decoded, at) => this.stringPiece(raw, decoded, at),
    fail: (at, message) => this.fail(at, message),
  };
  private key = '';
  private scalar = '';
  private value: JsonStringValue | undefined;
  private readonly output = new JsonOutput();
  private readonly filter: ValueFilter;
  /** Characters consumed before this chunk, for error offsets. */
  private offset = 0;

  constructor(
    private readonly profile: CompiledProfile,
    limits: JsonLimits = {},
  ) {
    this.maxStringChars = limits.maxStringChars ?? 1024 * 1024;
    this.maxDepth = limits.maxDepth ?? 512;
    this.maxNumberChars = limits.maxNumberChars ?? 4096;
    this.filter = new ValueFilter(profile);
  }

  /** Characters held between chunks (string value, number, keys, escape): the memory bound tests read this. */
  get heldChars(): number {
    const keys = this.stack.reduce((n, f) => n + f.key.length, this.key.length);
    return (this.value?.heldChars ?? 0) + this.scalar.length + keys + this.reader.heldChars;
  }

  push(text: string): string {
    this.output.begin(text);
    this.filter.begin(text);
    // A byte order mark may precede the document; it is copied like whitespace.
    let i = this.offset === 0 && text.charCodeAt(0) === 0xfeff ? 1 : 0;
    while (i < text.length) {
      if (this.token === 'key' || this.token === 'string') {
        i = this.reader.read(text, i, this.sink);
        if (this.reader.closed) this.closeString(i);
      } else if (this.token !== 'none') {
        i = this.scalarChars(text, i);
      } else {
        i = this.structural(text, i);
      }
    }
    if (this.token === 'string' || this.token === 'number' || this.token === 'literal') {
      // The held value keeps its own copy of what it read of this chunk.
      this.output.replaceHeld(this.value?.flush() ?? '', text.length);
    } else {
      this.output.copyTo(text.length);
    }
    this.offset += text.length;
    return this.output.take();
  }

  end(): string {
    this.output.begin('');
    if (this.token === 'number' || this.token === 'literal') this.finishScalar(0);
    if (this.token !== 'none') this.fail(0, 'the body ends inside a string');
    // Only whitespace (or nothing) read: an empty body carries nothing to mask and passes through.
    if (this.expect !== 'done' && (this.expect !== 'value' || this.stack.length > 0)) {
      this.fail(0, `the body ends early: ${this.stack.length} container(s) still open, expected ${this.expect.replaceAll('-', ' ')}`);
    }
    return this.output.take();
  }

  private fail(at: number, message: string): never {
    throw new MaskingError(`invalid JSON at character ${this.offset + at}: ${message}`);
  }

  private structural(text: string, i: number): number {
    const code = text.charCodeAt(i);
    if (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09) return runEnd(WHITESPACE_RUN, text, i);
    const c = text[i]!;
    switch (this.expect) {
      case 'value-or-close':
        return c === ']' ? this.close(i, c) : this.startValue(text, i, c);
      case 'value':
        return this.startValue(text, i, c);
      case 'key-or-close':
      case 'key':
        if (c === '}' && this.expect === 'key-or-close') return this.close(i, c);
        if (c !== '"') this.fail(i, `expected a key, found ${JSON.stringify(c)}`);
        return this.startKey(text, i);
      case 'colon':
        if (c !== ':') this.fail(i, `expected ':', found ${JSON.stringify(c)}`);
        this.expect = 'value';
        return i + 1;
      case 'comma-or-close':
        if (c === ',') {
          this.expect = this.stack[this.stack.length - 1]!.array ? 'value' : 'key';
          return i + 1;
        }
        if (c === ']' || c === '}') return this.close(i, c);
        return this.fail(i, `expected ',' or a closing bracket, found ${JSON.stringify(c)}`);
      case 'done':
        return this.fail(i, `unexpected ${JSON.stringify(c)} after the JSON value`);
    }
  }

  private startValue(text: string, i: number, c: string): number {
    const opens = c === '{' || c === '[';
    const number = c === '-' || (c >= '0' && c <= '9');
    const literal = c === 't' || c === 'f' || c === 'n';
    if (!opens && !number && !literal && c !== '"') this.fail(i, `expected a value, found ${JSON.stringify(c)}`);
    this.beginValue(i);
    if (opens) {
      if (this.stack.length >= this.maxDepth) this.fail(i, `nesting deeper than ${this.maxDepth}`);
      this.stack.push({ array: c === '[', key: '', keyKnown: false, index: -1 });
      this.expect = c === '[' ? 'value-or-close' : 'key-or-close';
      return i + 1;
    }
    this.output.tokenStart = i;
    if (c === '"') return this.startString(text, i);
    this.token = number ? 'number' : 'literal';
    this.scalar = '';
    return this.scalarChars(text, i);
  }

  /**
   * A key opens at `i`. Fast path: the whole key is in this chunk without escapes, so it is
   * taken in one slice; otherwise the string reader takes it piece by piece.
   */
  private startKey(text: string, i: number): number {
    const j = runEnd(STRING_RUN, text, i + 1);
    if (j < text.length && text.charCodeAt(j) === QUOTE) {
      if (this.output.suppressed) this.setKey('', 0);
      else this.setKey(text.slice(i + 1, j), j - i - 1);
      return j + 1;
    }
    this.token = 'key';
    this.key = '';
    return i + 1;
  }

  /** The key just read; `length` is its full length (a long one is kept only in part, see stringPiece). */
  private setKey(key: string, length: number): void {
    const top = this.stack[this.stack.length - 1]!;
    top.keyKnown = length <= MAX_KEY_CHARS;
    top.key = top.keyKnown ? key.toLowerCase() : '';
    this.key = '';
    this.expect = 'colon';
  }

  /**
   * A string value opens at `i`. Fast path: the whole value is in this chunk without escapes and
   * within the long-string limit; then its content is the slice between the quotes, masked at
   * once, exactly as closeString would for the same value read in pieces.
   */
  private startString(text: string, i: number): number {
    const j = runEnd(STRING_RUN, text, i + 1);
    if (j < text.length && text.charCodeAt(j) === QUOTE && j - i - 1 <= this.maxStringChars) {
      if (!this.output.suppressed && this.filter.mayMatch(i + 1, j)) {
        const masked = maskValue(this.profile, text.slice(i + 1, j), this.counts);
        if (masked !== null) this.output.replaceHeld(JSON.stringify(masked), j + 1);
      }
      this.output.tokenStart = -1;
      this.endValue(j + 1);
      return j + 1;
    }
    this.token = 'string';
    if (!this.output.suppressed) this.value = new JsonStringValue(this.profile, this.counts, this.maxStringChars);
    return i + 1;
  }

  /** A value starts at `i`: replace it whole if a field name or path says so. */
  private beginValue(i: number): void {
    const top = this.stack[this.stack.length - 1];
    if (top?.array) top.index += 1;
    if (this.output.suppressed) return;
    const byName = top !== undefined && !top.array && top.keyKnown && this.profile.fieldNames.has(top.key);
    if (byName || (this.profile.paths.length > 0 && this.profile.paths.some((p) => pathMatches(p, this.stack)))) {
      this.output.insert(i, REDACTED);
      this.counts.field = (this.counts.field ?? 0) + 1;
      this.output.suppressDepth = this.stack.length;
    }
  }

  /** A value ended just before `at`. */
  private endValue(at: number): void {
    if (this.output.suppressDepth === this.stack.length) {
      this.output.copyTo(at);
      this.output.suppressDepth = -1;
    }
    this.expect = this.stack.length === 0 ? 'done' : 'comma-or-close';
  }

  private close(i: number, c: string): number {
    const top = this.stack[this.stack.length - 1];
    if (top === undefined || top.array !== (c === ']')) this.fail(i, `unexpected ${JSON.stringify(c)}`);
    this.stack.pop();
    this.endValue(i + 1);
    return i + 1;
  }

  /** A piece of string content ending at `at`: source text and what it decodes to. */
  private stringPiece(raw: string, decoded: string, at: number): void {
    if (this.output.suppressed) return;
    if (this.token === 'key') {
      // One character past the limit marks the key as too long.
      if (this.key.length <= MAX_KEY_CHARS) this.key = (this.key + decoded).slice(0, MAX_KEY_CHARS + 1);
      return;
    }
    const out = this.value!.append(raw, decoded);
    if (out !== '') this.output.replaceHeld(out, at);
  }

  private closeString(at: number): void {
    this.token = 'none';
    if (this.expect === 'key' || this.expect === 'key-or-close') {
      this.setKey(this.key, this.key.length);
      return;
    }
    const value = this.value;
    this.value = undefined;
    if (value !== undefined) {
      const out = value.close();
      if (out !== null) this.output.replaceHeld(out, at);
      else if (this.output.tokenStart < 0) this.output.replaceHeld(value.quotedRaw(), at);
    }
    this.output.tokenStart = -1;
    this.endValue(at);
  }

  private scalarChars(text: string, i: number): number {
    const j = runEnd(this.token === 'number' ? NUMBER_RUN : LETTER_RUN, text, i);
    this.scalar += text.slice(i, j);
    if (this.token === 'number' && this.scalar.length > this.maxNumberChars) this.fail(j, `a number longer than ${this.maxNumberChars} characters`);
    if (this.token === 'literal' && !couldBeLiteral(this.scalar)) this.fail(i, `invalid literal ${JSON.stringify(this.scalar)}`);
    if (j < text.length) this.finishScalar(j);
    return j;
  }

  private finishScalar(at: number): void {
    const text = this.scalar;
    this.scalar = '';
    if (this.token === 'literal' ? !isLiteral(text) : !isNumber(text)) this.fail(at, `invalid ${this.token} ${JSON.stringify(text)}`);
    // A number read whole from this chunk can be ruled out by the chunk's filter.
    const whole = this.output.tokenStart >= 0 && at > this.output.tokenStart;
    const masked =
      this.token === 'number' && !this.output.suppressed && (!whole || this.filter.mayMatch(this.output.tokenStart, at)) ? maskNumber(this.profile, text, this.counts) : null;
    if (masked !== null) this.output.replaceHeld(masked, at);
    else if (this.output.tokenStart < 0) this.output.replaceHeld(text, at);
    this.output.tokenStart = -1;
    this.token = 'none';
    this.endValue(at);
  }
}
