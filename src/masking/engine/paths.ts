// Field paths for whole-value rules: '$.customer.ssn', '$.items[*].email', '*.email'.
//
// Grammar: a path starts with '$' (anchored at the document root) or '*' (any depth: the rest
// must match the END of the value's location), followed by one or more segments:
//   .name  ['name']  — an object key (quoted form for keys holding '.', '[' or ']')
//   .*              — any object key
//   [*]             — any array index
//   [3]             — that array index
// Keys compare case-insensitively, like field names: over-masking is the safe side of a typo in
// the client's casing.

export type PathSegment =
  | { readonly kind: 'key'; readonly name: string }
  | { readonly kind: 'any-key' }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'any-index' };

export interface FieldPath {
  readonly source: string;
  /** True for '$…' paths; false for '*…' paths, which match at any depth. */
  readonly anchored: boolean;
  readonly segments: readonly PathSegment[];
}

/** One open container on the way to the current value, as the JSON tokenizer tracks it. */
export interface PathFrame {
  readonly array: boolean;
  /** The current key (lower-cased) for an object; unused for arrays. */
  readonly key: string;
  /** False when the key was too long to keep; such a key matches only '.*'. */
  readonly keyKnown: boolean;
  /** The current index for an array; unused for objects. */
  readonly index: number;
}

const SEGMENT = /\.\*|\.([^.[\]\s'"]+)|\[\*\]|\[(\d{1,9})\]|\['([^']+)'\]|\["([^"]+)"\]/y;

/** Parses a path; throws an Error naming the problem. */
export function parsePath(source: string): FieldPath {
  const head = source[0];
  if (head !== '$' && head !== '*') {
    throw new Error(`path "${source}" must start with '$' (from the root) or '*' (at any depth)`);
  }
  const segments: PathSegment[] = [];
  let at = 1;
  while (at < source.length) {
    SEGMENT.lastIndex = at;
    const m = SEGMENT.exec(source);
    if (m === null) {
      throw new Error(`path "${source}": cannot read a segment at character ${at + 1}; use .key, .*, [*], [n] or ['key']`);
    }
    const [whole, dotted, index, single, double] = m;
    if (whole === '.*') segments.push({ kind: 'any-key' });
    else if (whole === '[*]') segments.push({ kind: 'any-index' });
    else if (index !== undefined) segments.push({ kind: 'index', index: Number(index) });
    else segments.push({ kind: 'key', name: (dotted ?? single ?? double ?? '').toLowerCase() });
    at += whole.length;
  }
  if (segments.length === 0) throw new Error(`path "${source}" names no field; the whole document cannot be a field`);
  return { source, anchored: head === '$', segments };
}

function segmentMatches(segment: PathSegment, frame: PathFrame): boolean {
  switch (segment.kind) {
    case 'key':
      return !frame.array && frame.keyKnown && frame.key === segment.name;
    case 'any-key':
      return !frame.array;
    case 'index':
      return frame.array && frame.index === segment.index;
    case 'any-index':
      return frame.array;
  }
}

/** Whether the value whose location is the first `depth` of `frames` (root first) is at `path`. */
export function pathMatches(path: FieldPath, frames: readonly PathFrame[], depth = frames.length): boolean {
  const { segments } = path;
  if (path.anchored ? depth !== segments.length : depth < segments.length) return false;
  const offset = depth - segments.length;
  for (let i = segments.length - 1; i >= 0; i--) {
    if (!segmentMatches(segments[i]!, frames[offset + i]!)) return false;
  }
  return true;
}
