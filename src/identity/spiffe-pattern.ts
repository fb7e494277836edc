// Patterns over SPIFFE IDs, for mapping a workload to its region:
//
//   spiffe://cluster.local/ns/eu-*/**
//
// A pattern and an ID are both split on "/" after "spiffe://"; the first segment is the trust
// domain. In a pattern segment `*` matches any run of characters within that one segment (never a
// "/"), and a segment that is exactly `**` matches any number of whole segments, none included.
// Everything else matches itself, case-sensitively. Nothing is decoded: "%2F" is three characters,
// not a slash, and "%2D" is not a dash. An ID with an empty segment (a trailing slash, "//")
// matches no pattern.
//
// Matching is linear in the segments times the pattern's segments, and within a segment linear in
// its length times the pattern segment's, so no ID, however built, makes it backtrack without end.

const SCHEME = 'spiffe://';
const GLOBSTAR = '**';
/** Characters of a SPIFFE trust domain (lower-case) and path segment, plus the wildcard. */
const TRUST_DOMAIN_PATTERN = /^[a-z0-9._*-]+$/;
const PATH_SEGMENT_PATTERN = /^[a-zA-Z0-9._*-]+$/;

/** Why `pattern` is not a valid SPIFFE ID pattern, or undefined when it is. */
export function spiffePatternProblem(pattern: string): string | undefined {
  if (!pattern.startsWith(SCHEME)) return `a SPIFFE ID pattern starts with "${SCHEME}"`;
  const [trustDomain = '', ...path] = pattern.slice(SCHEME.length).split('/');
  if (trustDomain === '') return 'the trust domain is empty';
  if (trustDomain.includes(GLOBSTAR)) return '"**" may not stand for the trust domain';
  if (!TRUST_DOMAIN_PATTERN.test(trustDomain)) return 'a trust domain has only lower-case letters, digits, ".", "-", "_" (and "*" in a pattern)';
  for (const segment of path) {
    if (segment === '') return 'empty path segment (a trailing "/" or "//")';
    if (segment === GLOBSTAR) continue;
    if (segment.includes(GLOBSTAR)) return `"**" must be a whole segment, not part of "${segment}"`;
    if (segment === '.' || segment === '..') return `"${segment}" is not a valid path segment`;
    if (!PATH_SEGMENT_PATTERN.test(segment)) return `path segment "${segment}" has characters a SPIFFE ID cannot have (letters, digits, ".", "-", "_" and "*")`;
  }
  return undefined;
}

export class SpiffePattern {
  private readonly segments: readonly string[];

  /** Throws when `pattern` is invalid (the config schema reports the same problem first). */
  constructor(readonly pattern: string) {
    const problem = spiffePatternProblem(pattern);
    if (problem !== undefined) throw new Error(`invalid SPIFFE ID pattern ${JSON.stringify(pattern)}: ${problem}`);
    this.segments = pattern.slice(SCHEME.length).split('/');
  }

  matches(id: string): boolean {
    if (!id.startsWith(SCHEME)) return false;
    const segments = id.slice(SCHEME.length).split('/');
    if (segments.some((s) => s === '')) return false;
    return matchSegments(this.segments, segments);
  }
}

// reach[j]: the pattern segments seen so far match the first j segments of the ID.
function matchSegments(pattern: readonly string[], id: readonly string[]): boolean {
  let reach: boolean[] = [true, ...id.map(() => false)];
  for (const p of pattern) {
    const next = reach.map(() => false);
    if (p === GLOBSTAR) {
      let any = false;
      for (let j = 0; j < reach.length; j += 1) {
        any ||= reach[j] === true;
        next[j] = any;
      }
    } else {
      for (let j = 1; j < reach.length; j += 1) next[j] = reach[j - 1] === true && matchSegment(p, id[j - 1] ?? '');
    }
    reach = next;
  }
  return reach[id.length] === true;
}

/** `*` within one segment: the usual wildcard match, resuming after the last star on a mismatch. */
export function matchSegment(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === text[t]) {
      p += 1;
      t += 1;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p;
      resume = t;
      p += 1;
    } else if (star >= 0) {
      p = star + 1;
      resume += 1;
      t = resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p += 1;
  return p === pattern.length;
}
