// Reading the content of one JSON string across chunks: runs of plain characters in one regex
// step, escapes (which a chunk may split anywhere: '\u00' | 'e9', between the two halves of a
// surrogate-pair escape), and the closing quote.
import { runEnd } from './json-lexical.js';

// eslint-disable-next-line no-control-regex -- JSON strings may not hold raw control characters
const STRING_RUN = /[^"\\\u0000-\u001f]*/y;
const HEX_DIGIT = /^[0-9a-fA-F]$/;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

export interface StringSink {
  /** A piece of content ending at `at` in the chunk: its source text and what it decodes to. */
  piece(raw: string, decoded: string, at: number): void;
  fail(at: number, message: string): never;
}

export class JsonStringReader {
  private escape: 'none' | 'backslash' | 'unicode' = 'none';
  private hex = '';
  /** Set when read() has consumed the closing quote. */
  closed = false;

  get heldChars(): number {
    return this.hex.length;
  }

  /** Reads from `i` up to the closing quote or the end of the chunk; returns where it stopped. */
  read(text: string, i: number, sink: StringSink): number {
    this.closed = false;
    while (i < text.length) {
      if (this.escape === 'none') {
        const j = runEnd(STRING_RUN, text, i);
        if (j > i) {
          const run = text.slice(i, j);
          sink.piece(run, run, j);
          i = j;
          if (i >= text.length) break;
        }
        const c = text[i]!;
        if (c === '"') {
          this.closed = true;
          return i + 1;
        }
        if (c !== '\\') sink.fail(i, `control character U+${c.charCodeAt(0).toString(16).padStart(4, '0')} in a string must be escaped`);
        this.escape = 'backslash';
      } else if (this.escape === 'backslash') {
        const c = text[i]!;
        const simple = SIMPLE_ESCAPES[c];
        if (simple !== undefined) {
          this.escape = 'none';
          sink.piece(`\\${c}`, simple, i + 1);
        } else if (c === 'u') {
          this.escape = 'unicode';
          this.hex = '';
        } else {
          sink.fail(i, `invalid escape \\${c}`);
        }
      } else {
        const c = text[i]!;
        if (!HEX_DIGIT.test(c)) sink.fail(i, `invalid \\u escape: ${JSON.stringify(c)} is not a hex digit`);
        this.hex += c;
        if (this.hex.length === 4) {
          // A surrogate pair arrives as two escapes; their code units simply meet in the decoded value.
          this.escape = 'none';
          sink.piece(`\\u${this.hex}`, String.fromCharCode(parseInt(this.hex, 16)), i + 1);
          this.hex = '';
        }
      }
      i += 1;
    }
    return i;
  }
}
