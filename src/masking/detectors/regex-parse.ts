// A parser for the ECMAScript regex syntax, just deep enough to reason about length and
// backtracking. It expects a pattern the engine has already accepted (compile it first): it does
// not re-validate syntax, it only has to see the structure right.
import { ANY, type CharSet, charSet, classEscape, complement, single, union } from './charset.js';

export type RegexNode =
  | { readonly type: 'char'; readonly set: CharSet }
  | { readonly type: 'seq'; readonly items: readonly RegexNode[] }
  | { readonly type: 'alt'; readonly options: readonly RegexNode[] }
  | { readonly type: 'look'; readonly body: RegexNode; readonly behind: boolean; readonly negative: boolean }
  | { readonly type: 'assert'; readonly what: '^' | '$' | '\\b' | '\\B' }
  | { readonly type: 'backref' }
  | {
      readonly type: 'repeat';
      readonly body: RegexNode;
      readonly min: number;
      readonly max: number;
      /** Where the count (`*`, `+`, `?`, `{n,m}`) sits in the source, lazy `?` excluded. */
      readonly countStart: number;
      readonly countEnd: number;
    };

const CONTROL_ESCAPES: Record<string, number> = { t: 9, n: 10, v: 11, f: 12, r: 13 };

class Parser {
  private pos = 0;

  constructor(
    private readonly src: string,
    private readonly unicode: boolean,
  ) {}

  parse(): RegexNode {
    const node = this.disjunction();
    if (this.pos < this.src.length) throw new Error(`unexpected '${this.src[this.pos]}' at ${this.pos}`);
    return node;
  }

  private peek(offset = 0): string {
    return this.src[this.pos + offset] ?? '';
  }

  /** One source character: a code point with the u flag, a UTF-16 unit without. */
  private nextChar(): number {
    const code = this.unicode ? (this.src.codePointAt(this.pos) ?? 0) : this.src.charCodeAt(this.pos);
    this.pos += code > 0xffff ? 2 : 1;
    return code;
  }

  private disjunction(): RegexNode {
    const options = [this.alternative()];
    while (this.peek() === '|') {
      this.pos++;
      options.push(this.alternative());
    }
    return options.length === 1 ? (options[0] as RegexNode) : { type: 'alt', options };
  }

  private alternative(): RegexNode {
    const items: RegexNode[] = [];
    while (this.pos < this.src.length && this.peek() !== '|' && this.peek() !== ')') {
      items.push(this.quantified(this.atom()));
    }
    return items.length === 1 ? (items[0] as RegexNode) : { type: 'seq', items };
  }

  private quantified(body: RegexNode): RegexNode {
    const countStart = this.pos;
    let min: number;
    let max: number;
    const c = this.peek();
    if (c === '*' || c === '+' || c === '?') {
      this.pos++;
      [min, max] = c === '*' ? [0, Infinity] : c === '+' ? [1, Infinity] : [0, 1];
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos));
      if (!m) return body; // a literal '{' (only legal without the u flag)
      this.pos += m[0].length;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    } else {
      return body;
    }
    const countEnd = this.pos;
    if (this.peek() === '?') this.pos++;
    return { type: 'repeat', body, min, max, countStart, countEnd };
  }

  private atom(): RegexNode {
    const c = this.peek();
    switch (c) {
      case '^':
      case '$':
        this.pos++;
        return { type: 'assert', what: c === '^' ? '^' : '$' };
      case '.':
        this.pos++;
        return { type: 'char', set: ANY };
      case '[':
        return { type: 'char', set: this.charClass() };
      case '(':
        return this.group();
      case '\\':
        return this.atomEscape();
      default:
        return { type: 'char', set: single(this.nextChar()) };
    }
  }

  private group(): RegexNode {
    this.pos++; // '('
    let look: { behind: boolean; negative: boolean } | undefined;
    if (this.src.startsWith('?:', this.pos)) this.pos += 2;
    else if (this.src.startsWith('?=', this.pos) || this.src.startsWith('?!', this.pos)) {
      look = { behind: false, negative: this.peek(1) === '!' };
      this.pos += 2;
    } else if (this.src.startsWith('?<=', this.pos) || this.src.startsWith('?<!', this.pos)) {
      look = { behind: true, negative: this.peek(2) === '!' };
      this.pos += 3;
    } else if (this.src.startsWith('?<', this.pos)) {
      this.pos = this.src.indexOf('>', this.pos) + 1; // named group
    }
    const body = this.disjunction();
    if (this.peek() !== ')') throw new Error(`unclosed group at ${this.pos}`);
    this.pos++;
    return look ? { type: 'look', body, ...look } : body;
  }

  private atomEscape(): RegexNode {
    const letter = this.peek(1);
    if (letter === 'b' || letter === 'B') {
      this.pos += 2;
      return { type: 'assert', what: letter === 'b' ? '\\b' : '\\B' };
    }
    if (/[1-9]/.test(letter) || (letter === 'k' && this.peek(2) === '<')) {
      this.pos += 2;
      while (/\d/.test(this.peek())) this.pos++;
      if (letter === 'k') this.pos = this.src.indexOf('>', this.pos) + 1;
      return { type: 'backref' };
    }
    const escaped = this.escape(false);
    return { type: 'char', set: typeof escaped === 'number' ? single(escaped) : escaped };
  }

  /** An escape for a set (`\d`, `\p{…}`) or for one character (`\x41`, `\u{1F600}`, `\.`, …). */
  private escape(inClass: boolean): number | CharSet {
    this.pos++; // '\'
    const letter = this.peek();
    const known = classEscape(letter);
    if (known) {
      this.pos++;
      return known;
    }
    if ((letter === 'p' || letter === 'P') && this.unicode) {
      this.pos = this.src.indexOf('}', this.pos) + 1;
      return ANY; // property sets are widened: only disjointness is ever asked
    }
    return this.escapedChar(inClass);
  }

  private escapedChar(inClass: boolean): number {
    const letter = this.peek();
    const control = CONTROL_ESCAPES[letter];
    if (control !== undefined) {
      this.pos++;
      return control;
    }
    if (inClass && letter === 'b') {
      this.pos++;
      return 8;
    }
    if (letter === 'c' && /[A-Za-z]/.test(this.peek(1))) {
      this.pos += 2;
      return this.src.charCodeAt(this.pos - 1) % 32;
    }
    if (letter === '0' && !/\d/.test(this.peek(1))) {
      this.pos++;
      return 0;
    }
    const hex = this.hexEscape(letter);
    if (hex !== undefined) return hex;
    return this.nextChar(); // identity escape: '\.', '\/', '\-', …
  }

  private hexEscape(letter: string): number | undefined {
    if (letter !== 'x' && letter !== 'u') return undefined;
    const rest = this.src.slice(this.pos);
    const m = /^x([0-9A-Fa-f]{2})/.exec(rest) ?? /^u([0-9A-Fa-f]{4})/.exec(rest) ?? (this.unicode ? /^u\{([0-9A-Fa-f]+)\}/.exec(rest) : null);
    if (!m) return undefined;
    this.pos += m[0].length;
    const code = parseInt(m[1] as string, 16);
    // With the u flag a \uD83D\uDE00 pair is one character.
    const low = /^\\u(d[c-f][0-9a-f]{2})/i.exec(this.src.slice(this.pos));
    if (this.unicode && code >= 0xd800 && code <= 0xdbff && low) {
      this.pos += low[0].length;
      return 0x10000 + ((code - 0xd800) << 10) + (parseInt(low[1] as string, 16) - 0xdc00);
    }
    return code;
  }

  private charClass(): CharSet {
    this.pos++; // '['
    const negated = this.peek() === '^';
    if (negated) this.pos++;
    const parts: CharSet[] = [];
    while (this.pos < this.src.length && this.peek() !== ']') {
      const from = this.classAtom();
      if (typeof from === 'number' && this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== '') {
        const save = this.pos;
        this.pos++;
        const to = this.classAtom();
        if (typeof to === 'number') {
          parts.push(charSet([[from, to]]));
          continue;
        }
        this.pos = save; // '[a-\d]' without the u flag: the dash is literal
      }
      parts.push(typeof from === 'number' ? single(from) : from);
    }
    this.pos++; // ']'
    const set = union(...parts);
    return negated ? complement(set) : set;
  }

  private classAtom(): number | CharSet {
    if (this.peek() === '\\') return this.escape(true);
    return this.nextChar();
  }
}

/** Parses `source` as the engine would with (`unicode`) or without the u flag. */
export function parseRegex(source: string, unicode: boolean): RegexNode {
  return new Parser(source, unicode).parse();
}
