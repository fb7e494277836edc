// An incremental JSON tokenizer that masks as it goes: a state machine over characters with a
// stack of open containers for field names and paths. Everything but string values, numbers and
// literals is written out as soon as it is read (formatting is preserved); a string value is held
// up to the long-string limit (see json-string.ts), a number or literal until it ends. Keys are
// never masked. Invalid JSON throws MaskingError with the character offset.
import type { MaskCounts } from '../types.js';
import { MaskingError } from '../types.js';
import { FIELD_REPLACEMENT } from './actions.js';
import type { CompiledProfile } from './compile.js';
import { JsonStringValue } from './json-string.js';
import { maskRange } from './matches.js';
import { pathMatches } from './paths.js';

export interface JsonLimits {
  /** Source characters of one string value held whole before it is masked in streaming fashion. Default 1 MiB. */
  readonly maxStringChars?: number;
  /** Deepest container nesting accepted. Default 512. */
  readonly maxDepth?: number;
  /** Longest number accepted, in characters. Default 4096. */
  readonly maxNumberChars?: number;
}

/** Keys longer than this are not kept (they are still written out); they match no field name. */
const MAX_KEY_CHARS = 4096;
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
// eslint-disable-next-line no-control-regex -- JSON strings may not hold raw control characters
const STRING_RUN = /[^"\\\u0000-\u001f]*/y;
const WHITESPACE_RUN = /[ \t\n\r]*/y;
const NUMBER_RUN = /[0-9eE+\-.]*/y;
const LETTER_RUN = /[a-z]*/y;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
const HEX = /^[0-9a-fA-F]$/;

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
  /** Stack depth of the value being replaced whole; output is suppressed while >= 0. */
  private suppressDepth = -1;
  private started = false;
  private escape: 'none' | 'backslash' | 'unicode' = 'none';
  private hex = '';
  private key = '';
  private scalar = '';
  private value: JsonStringValue | undefined;
  private out: string[] = [];
  /** Characters consumed before the current chunk, for error offsets. */
  private offset = 0;

  constructor(
    private readonly profile: CompiledProfile,
    limits: JsonLimits = {},
  ) {
    this.maxStringChars = limits.maxStringChars ?? 1024 * 1024;
    this.maxDepth = limits.maxDepth ?? 512;
    this.maxNumberChars = limits.maxNumberChars ?? 4096;
  }

  /** Characters held between chunks (string value, number, key, escape): the memory bound tests read this. */
  get heldChars(): number {
    return (this.value?.heldChars ?? 0) + this.scalar.length + this.key.length + this.hex.length;
  }

  push(text: string): string {
    let i = 0;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) {
        this.out.push('\ufeff');
        i = 1;
      }
    }
    while (i < text.length) {
      if (this.token === 'key' || this.token === 'string') i = this.stringChars(text, i);
      else if (this.token !== 'none') i = this.scalarChars(text, i);
      else i = this.structural(text, i);
    }
    if (this.value !== undefined) this.emit(this.value.flush());
    this.offset += text.length;
    const out = this.out.join('');
    this.out = [];
    return out;
  }

  end(): string {
    if (this.token === 'number' || this.token === 'literal') this.finishScalar(0);
    if (this.token !== 'none') this.fail(0, 'the body ends inside a string');
    if (this.expect !== 'done' && (this.expect !== 'value' || this.stack.length > 0)) {
      this.fail(0, `the body ends early: ${this.stack.length} container(s) still open, expected ${this.expect.replaceAll('-', ' ')}`);
    }
    // Only whitespace (or nothing) read: an empty body carries nothing to mask and passes through.
    const out = this.out.join('');
    this.out = [];
    return out;
  }

  private fail(at: number, message: string): never {
    throw new MaskingError(`invalid JSON at character ${this.offset + at}: ${message}`);
  }

  private emit(text: string): void {
    if (this.suppressDepth < 0 && text !== '') this.out.push(text);
  }

  private structural(text: string, i: number): number {
    WHITESPACE_RUN.lastIndex = i;
    WHITESPACE_RUN.test(text);
    if (WHITESPACE_RUN.lastIndex > i) {
      this.emit(text.slice(i, WHITESPACE_RUN.lastIndex));
      return WHITESPACE_RUN.lastIndex;
    }
    const c = text[i]!;
    switch (this.expect) {
      case 'value-or-close':
        if (c === ']') return this.close(i, c);
        return this.startValue(text, i, c);
      case 'value':
        return this.startValue(text, i, c);
      case 'key-or-close':
      case 'key':
        if (c === '}' && this.expect === 'key-or-close') return this.close(i, c);
        if (c !== '"') this.fail(i, `expected a key, found ${JSON.stringify(c)}`);
        this.emit(c);
        this.token = 'key';
        this.key = '';
        return i + 1;
      case 'colon':
        if (c !== ':') this.fail(i, `expected ':', found ${JSON.stringify(c)}`);
        this.emit(c);
        this.expect = 'value';
        return i + 1;
      case 'comma-or-close':
        if (c === ',') {
          this.emit(c);
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
    const isNumber = c === '-' || (c >= '0' && c <= '9');
    const isLiteral = c === 't' || c === 'f' || c === 'n';
    if (!opens && !isNumber && !isLiteral && c !== '"') this.fail(i, `expected a value, found ${JSON.stringify(c)}`);
    this.beginValue();
    if (opens) {
      if (this.stack.length >= this.maxDepth) this.fail(i, `nesting deeper than ${this.maxDepth}`);
      this.emit(c);
      this.stack.push({ array: c === '[', key: '', keyKnown: false, index: -1 });
      this.expect = c === '[' ? 'value-or-close' : 'key-or-close';
      return i + 1;
    }
    if (c === '"') {
      this.token = 'string';
      if (this.suppressDepth < 0) this.value = new JsonStringValue(this.profile, this.counts, this.maxStringChars);
      return i + 1;
    }
    this.token = isNumber ? 'number' : 'literal';
    this.scalar = '';
    return this.scalarChars(text, i);
  }

  /** A value starts at the current location: replace it whole if a field name or path says so. */
  private beginValue(): void {
    const top = this.stack[this.stack.length - 1];
    if (top?.array) top.index += 1;
    if (this.suppressDepth >= 0) return;
    const byName = top !== undefined && !top.array && top.keyKnown && this.profile.fieldNames.has(top.key);
    if (byName || this.profile.paths.some((p) => pathMatches(p, this.stack))) {
      this.emit(JSON.stringify(FIELD_REPLACEMENT));
      this.counts.field = (this.counts.field ?? 0) + 1;
      this.suppressDepth = this.stack.length;
    }
  }

  private endValue(): void {
    if (this.suppressDepth === this.stack.length) this.suppressDepth = -1;
    this.expect = this.stack.length === 0 ? 'done' : 'comma-or-close';
  }

  private close(i: number, c: string): number {
    const top = this.stack[this.stack.length - 1];
    if (top === undefined || top.array !== (c === ']')) this.fail(i, `unexpected ${JSON.stringify(c)}`);
    this.emit(c);
    this.stack.pop();
    this.endValue();
    return i + 1;
  }

  private stringChars(text: string, i: number): number {
    while (i < text.length) {
      if (this.escape === 'none') {
        STRING_RUN.lastIndex = i;
        STRING_RUN.test(text);
        const j = STRING_RUN.lastIndex;
        if (j > i) {
          const run = text.slice(i, j);
          this.stringPiece(run, run);
          i = j;
          if (i >= text.length) break;
        }
        const c = text[i]!;
        if (c === '"') {
          this.closeString();
          return i + 1;
        }
        if (c !== '\\') this.fail(i, `control character U+${c.charCodeAt(0).toString(16).padStart(4, '0')} in a string must be escaped`);
        this.escape = 'backslash';
        i += 1;
      } else if (this.escape === 'backslash') {
        const c = text[i]!;
        const simple = SIMPLE_ESCAPES[c];
        if (simple !== undefined) {
          this.stringPiece(`\\${c}`, simple);
          this.escape = 'none';
        } else if (c === 'u') {
          this.escape = 'unicode';
          this.hex = '';
        } else {
          this.fail(i, `invalid escape \\${c}`);
        }
        i += 1;
      } else {
        const c = text[i]!;
        if (!HEX.test(c)) this.fail(i, `invalid \\u escape: ${JSON.stringify(c)} is not a hex digit`);
        this.hex += c;
        i += 1;
        if (this.hex.length === 4) {
          // A surrogate pair arrives as two escapes; their code units simply meet in the decoded value.
          this.stringPiece(`\\u${this.hex}`, String.fromCharCode(parseInt(this.hex, 16)));
          this.escape = 'none';
          this.hex = '';
        }
      }
    }
    return i;
  }

  private stringPiece(raw: string, decoded: string): void {
    if (this.suppressDepth >= 0) return;
    if (this.token === 'key') {
      this.emit(raw);
      if (this.key.length <= MAX_KEY_CHARS) this.key += decoded;
    } else {
      this.emit(this.value!.append(raw, decoded));
    }
  }

  private closeString(): void {
    if (this.token === 'key') {
      this.emit('"');
      const top = this.stack[this.stack.length - 1]!;
      top.keyKnown = this.key.length <= MAX_KEY_CHARS;
      top.key = top.keyKnown ? this.key.toLowerCase() : '';
      this.key = '';
      this.token = 'none';
      this.expect = 'colon';
      return;
    }
    if (this.value !== undefined) this.emit(this.value.close());
    this.value = undefined;
    this.token = 'none';
    this.endValue();
  }

  private scalarChars(text: string, i: number): number {
    const run = this.token === 'number' ? NUMBER_RUN : LETTER_RUN;
    run.lastIndex = i;
    run.test(text);
    const j = run.lastIndex;
    this.scalar += text.slice(i, j);
    if (this.token === 'number' && this.scalar.length > this.maxNumberChars) this.fail(j, `a number longer than ${this.maxNumberChars} characters`);
    if (this.token === 'literal' && !['true', 'false', 'null'].some((l) => l.startsWith(this.scalar))) {
      this.fail(i, `invalid literal ${JSON.stringify(this.scalar)}`);
    }
    if (j < text.length) this.finishScalar(j);
    return j;
  }

  private finishScalar(at: number): void {
    const text = this.scalar;
    this.scalar = '';
    if (this.token === 'literal') {
      if (text !== 'true' && text !== 'false' && text !== 'null') this.fail(at, `invalid literal ${JSON.stringify(text)}`);
      this.emit(text);
    } else {
      if (!NUMBER.test(text)) this.fail(at, `invalid number ${JSON.stringify(text)}`);
      this.emit(this.maskNumber(text));
    }
    this.token = 'none';
    this.endValue();
  }

  /** A detector may match a number (a card or phone written as a JSON number): it becomes a string. */
  private maskNumber(text: string): string {
    if (this.suppressDepth >= 0) return '';
    const local: MaskCounts = {};
    const masked = maskRange(this.profile, text, 0, true, local).output;
    if (Object.keys(local).length === 0) return text;
    for (const [name, n] of Object.entries(local)) this.counts[name] = (this.counts[name] ?? 0) + n;
    return JSON.stringify(masked);
  }
}
