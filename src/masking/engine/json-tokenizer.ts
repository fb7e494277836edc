// An incremental JSON tokenizer that masks as it goes: a state machine over characters with a
// stack of open containers for field names and paths. Invalid JSON throws MaskingError with the
// character offset. Keys are never masked. A string value is held (up to the long-string limit,
// see json-string.ts) and a number or literal until it ends; everything else is copied through
// as it is read (see json-output.ts). A value under a field name or path becomes "[REDACTED]".
//
// Two speeds: scan() is the loop for well-formed input whose tokens lie wholly in the chunk (a
// string without escapes, a number or literal followed by a delimiter); whatever it does not
// handle (a token cut by the chunk's end, escapes, anything invalid) it leaves at once to the
// general step functions, which handle every case. Both change the state in the same way.
import type { MaskCounts } from '../types.js';
import { MaskingError } from '../types.js';
import { FIELD_REPLACEMENT } from './actions.js';
import type { CompiledProfile } from './compile.js';
import { C_MINUS, couldBeLiteral, findSpecial, isDigit, isLiteral, isNumber, LETTER_RUN, literalEnd, maskNumber, NUMBER_RUN, numberEnd, runEnd, WHITESPACE_RUN } from './json-lexical.js';
import { JsonOutput } from './json-output.js';
import { JsonStringReader, type StringSink } from './json-string-reader.js';
import { JsonStringValue } from './json-string.js';
import { maskPlainJsonString } from './matches.js';
import { pathMatches, type FieldPath } from './paths.js';
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

// What the next structural character may be.
const VALUE = 0;
const VALUE_OR_CLOSE = 1;
const KEY_OR_CLOSE = 2;
const KEY = 3;
const COLON = 4;
const COMMA_OR_CLOSE = 5;
const DONE = 6;
type Expect = typeof VALUE | typeof VALUE_OR_CLOSE | typeof KEY_OR_CLOSE | typeof KEY | typeof COLON | typeof COMMA_OR_CLOSE | typeof DONE;
const EXPECT_NAMES = ['value', 'value or close', 'key or close', 'key', 'colon', 'comma or close', 'done'] as const;

type Token = 'none' | 'key' | 'string' | 'number' | 'literal';

const C_TAB = 0x09;
const C_LF = 0x0a;
const C_CR = 0x0d;
const C_SPACE = 0x20;
const C_COMMA = 0x2c;
const C_COLON = 0x3a;
const C_LBRACKET = 0x5b;
const C_RBRACKET = 0x5d;
const C_LBRACE = 0x7b;
const C_RBRACE = 0x7d;
/** One open container (a class, so every frame has the same shape and field types). */
class Frame {
  key = '';
  keyKnown = false;
  index = -1;
  /** Object frames: whether the value under the current key is replaced whole (decided when the key is read). */
  redact = false;

  constructor(public array: boolean) {}
}

export class JsonMaskingTokenizer {
  readonly counts: MaskCounts = {};
  private readonly maxStringChars: number;
  private readonly maxDepth: number;
  private readonly maxNumberChars: number;
  /** Open containers, root first: the first `depth` frames (the rest are kept for reuse). */
  private readonly frames: Frame[] = [];
  private depth = 0;
  /** frames[depth - 1]: the innermost open container. */
  private top: Frame | undefined = undefined;
  private expect: Expect = VALUE;
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
  /**
   * The next backslash, line feed, carriage return, tab and other control character in this
   * chunk at or after the last position each was looked up from (Infinity: none; -1: not yet).
   */
  private readonly nextSpecial = [-1, -1, -1, -1, -1];
  /** The smallest of nextSpecial (valid for lookups from at most there). */
  private firstSpecial = -1;
  /** The next 'İ' in this chunk at or after the last position looked from (Infinity: none; -1: not looked up). */
  private dottedI = -1;

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
    let keys = this.key.length;
    for (let d = 0; d < this.depth; d++) keys += this.frames[d]!.key.length;
    return (this.value?.heldChars ?? 0) + this.scalar.length + keys + this.reader.heldChars;
  }

  push(text: string): string {
    this.output.begin(text);
    this.filter.begin(text);
    this.dottedI = -1;
    this.nextSpecial.fill(-1);
    this.firstSpecial = -1;
    // A byte order mark may precede the document; it is copied like whitespace.
    let i = this.offset === 0 && text.charCodeAt(0) === 0xfeff ? 1 : 0;
    while (i < text.length) {
      if (this.token === 'key' || this.token === 'string') {
        i = this.reader.read(text, i, this.sink);
        if (this.reader.closed) this.closeString(i);
      } else if (this.token !== 'none') {
        i = this.scalarChars(text, i);
      } else {
        i = this.scan(text, i);
        if (i < text.length && this.token === 'none') i = this.structural(text, i);
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
    if (this.expect !== DONE && (this.expect !== VALUE || this.depth > 0)) {
      this.fail(0, `the body ends early: ${this.depth} container(s) still open, expected ${EXPECT_NAMES[this.expect]}`);
    }
    return this.output.take();
  }

  private fail(at: number, message: string): never {
    throw new MaskingError(`invalid JSON at character ${this.offset + at}: ${message}`);
  }

  /**
   * The fast loop: consumes well-formed input from `i` while each token ends inside the chunk.
   * Returns where it stopped: the chunk's end, a token left to the general steps (`token` set),
   * or a character for structural() to handle or reject.
   */
  private scan(text: string, i: number): number {
    const n = text.length;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === C_SPACE || c === C_LF || c === C_CR || c === C_TAB) {
        i++;
        continue;
      }
      switch (this.expect) {
        case COMMA_OR_CLOSE:
          if (c === C_COMMA) {
            this.expect = this.top!.array ? VALUE : KEY;
            i++;
          } else if (c === C_RBRACKET || c === C_RBRACE) {
            i = this.close(i, c);
          } else {
            return i;
          }
          break;
        case COLON:
          if (c !== C_COLON) return i;
          this.expect = VALUE;
          i++;
          break;
        case KEY:
        case KEY_OR_CLOSE:
          if (c === QUOTE) {
            i = this.startKey(text, i);
            if (this.token !== 'none') return i;
          } else if (c === C_RBRACE && this.expect === KEY_OR_CLOSE) {
            i = this.close(i, c);
          } else {
            return i;
          }
          break;
        case VALUE:
        case VALUE_OR_CLOSE:
          if (c === QUOTE) {
            this.beginValue(i);
            this.output.tokenStart = i;
            i = this.startString(text, i);
            if (this.token !== 'none') return i;
          } else if (isDigit(c) || c === C_MINUS) {
            const j = numberEnd(text, i);
            if (j < 0 || j - i > this.maxNumberChars) return i;
            this.beginValue(i);
            this.output.tokenStart = i;
            this.endNumber(text, i, j);
            i = j;
          } else if (c === 0x74 || c === 0x66 || c === 0x6e) {
            const j = literalEnd(text, i);
            if (j < 0) return i;
            this.beginValue(i);
            this.output.tokenStart = -1;
            this.endValue(j);
            i = j;
          } else if (c === C_LBRACE || c === C_LBRACKET) {
            if (this.depth >= this.maxDepth) return i;
            this.beginValue(i);
            i = this.open(i, c);
          } else if (c === C_RBRACKET && this.expect === VALUE_OR_CLOSE) {
            i = this.close(i, c);
          } else {
            return i;
          }
          break;
        default:
          return i;
      }
    }
    return i;
  }

  /** A valid number text[i, j) read whole from this chunk, held from `i`. */
  private endNumber(text: string, i: number, j: number): void {
    if (!this.output.suppressed && this.filter.mayMatch(i, j)) {
      const masked = maskNumber(this.profile, text.slice(i, j), this.counts, this.filter.candidates);
      if (masked !== null) this.output.replaceHeld(masked, j);
    }
    this.output.tokenStart = -1;
    this.endValue(j);
  }

  /** One step of the general machine at a structural position: anything scan() did not take. */
  private structural(text: string, i: number): number {
    const code = text.charCodeAt(i);
    if (code === C_SPACE || code === C_LF || code === C_CR || code === C_TAB) return runEnd(WHITESPACE_RUN, text, i);
    const c = text[i]!;
    switch (this.expect) {
      case VALUE_OR_CLOSE:
        return c === ']' ? this.close(i, code) : this.startValue(text, i, c);
      case VALUE:
        return this.startValue(text, i, c);
      case KEY_OR_CLOSE:
      case KEY:
        if (c === '}' && this.expect === KEY_OR_CLOSE) return this.close(i, code);
        if (c !== '"') this.fail(i, `expected a key, found ${JSON.stringify(c)}`);
        return this.startKey(text, i);
      case COLON:
        if (c !== ':') this.fail(i, `expected ':', found ${JSON.stringify(c)}`);
        this.expect = VALUE;
        return i + 1;
      case COMMA_OR_CLOSE:
        if (c === ',') {
          this.expect = this.top!.array ? VALUE : KEY;
          return i + 1;
        }
        if (c === ']' || c === '}') return this.close(i, code);
        return this.fail(i, `expected ',' or a closing bracket, found ${JSON.stringify(c)}`);
      case DONE:
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
      if (this.depth >= this.maxDepth) this.fail(i, `nesting deeper than ${this.maxDepth}`);
      return this.open(i, c.charCodeAt(0));
    }
    this.output.tokenStart = i;
    if (c === '"') return this.startString(text, i);
    this.token = number ? 'number' : 'literal';
    this.scalar = '';
    return this.scalarChars(text, i);
  }

  /** Opens a container at `i` (beginValue done, depth checked). */
  private open(i: number, c: number): number {
    const array = c === C_LBRACKET;
    let frame = this.frames[this.depth];
    if (frame === undefined) {
      frame = new Frame(array);
      this.frames.push(frame);
    } else {
      frame.array = array;
      frame.key = '';
      frame.keyKnown = false;
      frame.index = -1;
      frame.redact = false;
    }
    this.top = frame;
    this.depth += 1;
    this.expect = array ? VALUE_OR_CLOSE : KEY_OR_CLOSE;
    return i + 1;
  }

  /**
   * A key opens at `i`. Fast path: the whole key is in this chunk without escapes, so it is
   * taken in one slice; otherwise the string reader takes it piece by piece.
   */
  private startKey(text: string, i: number): number {
    const j = this.plainEnd(text, i + 1);
    if (j >= 0) {
      const length = j - i - 1;
      if (this.output.suppressed) this.setKey('', 0);
      else if (length <= MAX_KEY_CHARS && this.profile.keyLengths[length] !== 1 && this.noDottedI(text, i + 1, j)) this.setOtherKey();
      else this.setKey(text.slice(i + 1, j), length);
      return j + 1;
    }
    this.token = 'key';
    this.key = '';
    return i + 1;
  }

  /**
   * Whether text[from, to) has no 'İ', the one character whose lower case is longer (two code
   * units): without it a key's lower-cased length is its length. Looked up once per occurrence.
   */
  private noDottedI(text: string, from: number, to: number): boolean {
    if (this.dottedI < from) {
      const k = text.indexOf('\u0130', from);
      this.dottedI = k < 0 ? Infinity : k;
    }
    return this.dottedI >= to;
  }

  /** A key that no field name or path segment can equal: it is known, but not kept. */
  private setOtherKey(): void {
    const top = this.top!;
    top.keyKnown = true;
    top.key = this.profile.otherKey;
    // Only a path ending in '.*' can still take it.
    top.redact = this.atPath(this.profile.anyKeyPaths);
    this.expect = COLON;
  }

  /**
   * The closing quote of a string whose content starts at `from`, if the string ends in this
   * chunk and holds nothing but plain characters (no backslash, no control character); else -1,
   * and the string reader takes it. Each character that would disqualify a string is looked up
   * once per occurrence in the chunk, so this costs a few indexOf calls per string.
   */
  private plainEnd(text: string, from: number): number {
    const q = text.indexOf('"', from);
    if (q < 0) return -1;
    if (this.firstSpecial < from) {
      const next = this.nextSpecial;
      let first = Infinity;
      for (let s = 0; s < next.length; s++) {
        if (next[s]! < from) next[s] = findSpecial(text, s, from);
        if (next[s]! < first) first = next[s]!;
      }
      this.firstSpecial = first;
    }
    return this.firstSpecial < q ? -1 : q;
  }

  /** The key just read; `length` is its full length (a long one is kept only in part, see stringPiece). */
  private setKey(key: string, length: number): void {
    const top = this.top!;
    top.keyKnown = length <= MAX_KEY_CHARS;
    top.key = top.keyKnown ? key.toLowerCase() : '';
    top.redact = !this.output.suppressed && ((top.keyKnown && this.profile.fieldNames.has(top.key)) || this.atPath(this.profile.paths));
    this.key = '';
    this.expect = COLON;
  }

  /**
   * A string value opens at `i`. Fast path: the whole value is in this chunk without escapes and
   * within the long-string limit; then its content is the slice between the quotes, masked at
   * once, exactly as closeString would for the same value read in pieces.
   */
  private startString(text: string, i: number): number {
    const j = this.plainEnd(text, i + 1);
    if (j >= 0 && j - i - 1 <= this.maxStringChars) {
      if (!this.output.suppressed && this.filter.mayMatch(i + 1, j)) {
        // The content has no escapes and no control characters, and came from valid UTF-8.
        const masked = maskPlainJsonString(this.profile, text.slice(i + 1, j), this.counts, this.filter.candidates);
        if (masked !== null) this.output.replaceHeld(masked, j + 1);
      }
      this.output.tokenStart = -1;
      this.endValue(j + 1);
      return j + 1;
    }
    this.token = 'string';
    if (!this.output.suppressed) this.value = new JsonStringValue(this.profile, this.counts, this.maxStringChars);
    return i + 1;
  }

  /**
   * A value starts at `i`: replace it whole if a field name or path says so. Under a key that
   * was decided with the key; an array element is checked against the paths that end in an index.
   */
  private beginValue(i: number): void {
    const { top } = this;
    if (top === undefined || this.output.suppressed) {
      if (top?.array) top.index += 1;
      return;
    }
    let redact = top.redact;
    if (top.array) {
      top.index += 1;
      redact = this.atPath(this.profile.indexPaths);
    }
    if (redact) {
      this.output.insert(i, REDACTED);
      this.counts.field = (this.counts.field ?? 0) + 1;
      this.output.suppressDepth = this.depth;
    }
  }

  /** Whether the current location (the open frames) is at one of `paths`. */
  private atPath(paths: readonly FieldPath[]): boolean {
    for (let p = 0; p < paths.length; p++) if (pathMatches(paths[p]!, this.frames, this.depth)) return true;
    return false;
  }

  /** A value ended just before `at`. */
  private endValue(at: number): void {
    if (this.output.suppressDepth === this.depth) {
      this.output.copyTo(at);
      this.output.suppressDepth = -1;
    }
    this.expect = this.depth === 0 ? DONE : COMMA_OR_CLOSE;
  }

  private close(i: number, c: number): number {
    const { top } = this;
    if (top === undefined || top.array !== (c === C_RBRACKET)) this.fail(i, `unexpected ${JSON.stringify(String.fromCharCode(c))}`);
    top.key = '';
    this.depth -= 1;
    this.top = this.depth > 0 ? this.frames[this.depth - 1] : undefined;
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
    if (this.expect === KEY || this.expect === KEY_OR_CLOSE) {
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
