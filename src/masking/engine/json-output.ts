// The JSON masker's output: the input, sliced. Everything the tokenizer does not change
// (whitespace, brackets, keys, unmatched values) is copied from the chunk in as few slices as
// possible, from `mark` on. A held value (string, number, literal) that started in this chunk and
// stays unchanged is simply left inside the copied slice; one that changes, or that started in an
// earlier chunk, is written from the tokenizer's copy. Inside a value replaced whole, input is
// dropped instead of copied.

export class JsonOutput {
  private chunk = '';
  private parts: string[] = [];
  private mark = 0;
  /** Where the held value starts in this chunk; -1 if none, or if it started in an earlier one. */
  tokenStart = -1;
  /** Stack depth of the value being replaced whole; input is dropped while >= 0. */
  suppressDepth = -1;

  get suppressed(): boolean {
    return this.suppressDepth >= 0;
  }

  /** A new chunk: nothing of it is copied yet. */
  begin(chunk: string): void {
    this.chunk = chunk;
    this.mark = 0;
  }

  /** Copies the chunk up to `i` (or drops it, inside a replaced value). */
  copyTo(i: number): void {
    if (i <= this.mark) return;
    if (this.suppressDepth < 0) this.parts.push(this.chunk.slice(this.mark, i));
    this.mark = i;
  }

  /** Writes `text` at `i`, after copying what precedes it. */
  insert(i: number, text: string): void {
    this.copyTo(i);
    this.parts.push(text);
  }

  /** The held value's source, up to `at`, is replaced by `text` (empty: dropped, the value holds it). */
  replaceHeld(text: string, at: number): void {
    if (this.tokenStart >= 0) this.copyTo(this.tokenStart);
    this.tokenStart = -1;
    if (text !== '' && this.suppressDepth < 0) this.parts.push(text);
    this.mark = at;
  }

  /** Everything written since the last take. */
  take(): string {
    const out = this.parts.length === 1 ? this.parts[0]! : this.parts.join('');
    this.parts = [];
    return out;
  }
}
