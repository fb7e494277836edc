// A MaskingProfile turned into what the maskers run: private RegExp copies (lastIndex is mutable
// state, and the catalog's objects are shared), the hold-back bound, lower-cased field names and
// parsed paths. Compiled once per profile object.
import type { Detector, MaskAction, MaskingProfile } from '../types.js';
import { parsePath, type FieldPath } from './paths.js';
import { analyzeForScan, lookbehindUnits, type Filter, type Trigger } from './triggers.js';

export interface CompiledRule {
  readonly detector: Detector;
  readonly action: MaskAction;
  /** The detector's pattern with 'g' and without 'y', owned by this compiled profile. */
  readonly pattern: RegExp;
  /** Whether the pattern steps by code points ('u' or 'v' flag). */
  readonly unicode: boolean;
  /** The shortest match the pattern can produce, in code units (0 when unknown). */
  readonly minLength: number;
  /** A factor every match contains, to rule out values without it (see value-filter.ts). */
  readonly filter: Filter | undefined;
  /** A pre-filter: where matches can start (see triggers.ts); undefined runs the pattern everywhere. */
  readonly trigger: Trigger | undefined;
  /** Whether the trigger searches for the filter's factor: then a filter's occurrence is the trigger's too. */
  readonly triggerIsFilter: boolean;
}

export interface CompiledProfile {
  readonly name: string;
  readonly rules: readonly CompiledRule[];
  /** The longest match any rule can produce (0 without rules): what streaming must hold back. */
  readonly maxLength: number;
  /** The shortest match any rule can produce: shorter text holds none. */
  readonly minLength: number;
  /** Code units of already released text a lookbehind may read (at least 1): what streaming keeps as context. */
  readonly context: number;
  /**
   * Whether every replacement is JSON-safe (no quote, backslash, control character or lone
   * surrogate): true when no label has one; partial keeps whole code points of the value and
   * hash adds only hex digits.
   */
  readonly jsonSafe: boolean;
  readonly fieldNames: ReadonlySet<string>;
  readonly paths: readonly FieldPath[];
  /** By length: 1 where a field name or a path's key segment has that many characters. */
  readonly keyLengths: Uint8Array;
  /** Stands for a key no field name or path segment can equal: none of them has its length. */
  readonly otherKey: string;
  /** The paths whose last segment is '.*' (the only ones an object value can match whatever its key). */
  readonly anyKeyPaths: readonly FieldPath[];
  /** The paths whose last segment is an array index or '[*]' (the only ones an array element can match). */
  readonly indexPaths: readonly FieldPath[];
  readonly hashKey: Buffer | undefined;
}

/** Names longer than this are not told apart by length (keys that long are not kept anyway). */
const MAX_NAME_LENGTH = 1024;

const compiled = new WeakMap<MaskingProfile, CompiledProfile>();

function compileRule(profile: MaskingProfile, detector: Detector, action: MaskAction): CompiledRule {
  const where = `profile "${profile.name}", detector "${detector.name}"`;
  if (!Number.isSafeInteger(detector.maxLength) || detector.maxLength < 1) {
    throw new Error(`${where}: maxLength must be a positive integer, got ${detector.maxLength}`);
  }
  if (action === 'hash' && (profile.hashKey === undefined || profile.hashKey.length === 0)) {
    throw new Error(`${where}: the hash action needs a hash key`);
  }
  const flags = detector.pattern.flags.replace('y', '');
  const { minLength, filter, trigger } = analyzeForScan(detector.pattern);
  return {
    detector,
    action,
    pattern: new RegExp(detector.pattern.source, flags.includes('g') ? flags : `${flags}g`),
    unicode: flags.includes('u') || flags.includes('v'),
    minLength,
    filter,
    trigger,
    triggerIsFilter:
      filter !== undefined &&
      trigger !== undefined &&
      filter.literal === trigger.literal &&
      filter.scan.source === trigger.scan.source &&
      filter.scan.flags === trigger.scan.flags &&
      filter.scanLength === trigger.scanLength,
  };
}

/** Compiles (once) a profile; throws an Error if it cannot work (bad maxLength, hash without key, bad path). */
export function compileProfile(profile: MaskingProfile): CompiledProfile {
  const known = compiled.get(profile);
  if (known !== undefined) return known;
  const rules = profile.rules.map((r) => compileRule(profile, r.detector, r.action));
  const fieldNames = new Set(profile.fieldNames.map((n) => n.toLowerCase()));
  const paths = profile.fieldPaths.map((p) => parsePath(p));
  const names = [...fieldNames, ...paths.flatMap((p) => p.segments.flatMap((s) => (s.kind === 'key' ? [s.name] : [])))];
  const keyLengths = new Uint8Array(MAX_NAME_LENGTH + 1);
  for (const name of names) if (name.length <= MAX_NAME_LENGTH) keyLengths[name.length] = 1;
  let otherKey = '\u0000';
  while (names.includes(otherKey)) otherKey += '\u0000';
  const result: CompiledProfile = {
    name: profile.name,
    rules,
    maxLength: rules.reduce((max, r) => Math.max(max, r.detector.maxLength), 0),
    minLength: rules.length === 0 ? 0 : Math.min(...rules.map((r) => r.minLength)),
    context: Math.max(1, ...rules.map((r) => lookbehindUnits(r.detector.pattern))),
    jsonSafe: rules.every((r) => JSON.stringify(r.detector.label) === `"${r.detector.label}"`),
    fieldNames,
    paths,
    keyLengths,
    otherKey,
    anyKeyPaths: paths.filter((p) => p.segments.at(-1)?.kind === 'any-key'),
    indexPaths: paths.filter((p) => p.segments.at(-1)?.kind === 'index' || p.segments.at(-1)?.kind === 'any-index'),
    hashKey: profile.hashKey,
  };
  compiled.set(profile, result);
  return result;
}
