// Masking profiles from the config: detector names resolved against the catalog, custom and
// deny-list detectors built, the hash key attached. Every problem is reported at once, with its
// config path, so one edit-and-restart fixes them all.
import { readFileSync } from 'node:fs';
import type { MaskingConfig, MaskingProfileConfig } from './config.js';
import { customDetector, denyListDetector } from './detectors/custom.js';
import { DETECTORS } from './detectors/index.js';
import { compileProfile } from './engine/compile.js';
import type { Detector, MaskAction, MaskingProfile, MaskRule } from './types.js';

/** The detector catalog: a map by name (its keys are listed in errors) or a lookup function. */
export type DetectorSource = ReadonlyMap<string, Detector> | ((name: string) => Detector | undefined);

export interface BuildProfilesOptions {
  /** Names to list in "unknown detector" errors when `detectors` is a function. */
  readonly knownDetectors?: Iterable<string>;
}

export class MaskingConfigError extends Error {
  override readonly name = 'MaskingConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`masking configuration: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/** The shortest HMAC key accepted: the hash action's tokens are only as private as the key. */
export const MIN_HASH_KEY_BYTES = 32;

/** Reads the HMAC key file; one trailing newline (as editors and `echo` leave) is not part of the key. */
export function readHashKey(file: string): Buffer {
  let key = readFileSync(file);
  if (key.at(-1) === 0x0a) key = key.subarray(0, key.at(-2) === 0x0d ? -2 : -1);
  if (key.length < MIN_HASH_KEY_BYTES) {
    throw new Error(`masking.hash_key_file ${file}: the key has ${key.length} bytes, at least ${MIN_HASH_KEY_BYTES} are needed (e.g. openssl rand -hex 32)`);
  }
  return key;
}

/** Custom and deny-list detectors of one profile, by name; problems go to `problems`. */
function localDetectors(where: string, config: MaskingProfileConfig, problems: string[]): Map<string, Detector> {
  const local = new Map<string, Detector>();
  const build = (path: string, make: () => Detector): void => {
    try {
      const detector = make();
      local.set(detector.name, detector);
    } catch (err) {
      problems.push(`${path}: ${(err as Error).message}`);
    }
  };
  config.custom.forEach((c, i) =>
    build(`${where}.custom[${i}]`, () => customDetector({ name: c.name, pattern: c.pattern, label: c.label, maxLength: c.max_length })),
  );
  config.deny_list.forEach((d, i) => build(`${where}.deny_list[${i}]`, () => denyListDetector({ name: d.name, values: d.values, label: d.label })));
  return local;
}

function buildProfile(
  name: string,
  config: MaskingProfileConfig,
  resolve: (name: string) => Detector | undefined,
  known: () => string,
  hashKey: Buffer | undefined,
  problems: string[],
): MaskingProfile | undefined {
  const where = `masking.profiles.${name}`;
  const before = problems.length;
  const local = localDetectors(where, config, problems);
  for (const localName of local.keys()) {
    if (resolve(localName) !== undefined) problems.push(`${where}: custom detector "${localName}" has the name of a catalog detector`);
  }
  const rules: MaskRule[] = [];
  const add = (path: string, detector: Detector, action: MaskAction): void => {
    if (action === 'hash' && hashKey === undefined) problems.push(`${path}: the hash action needs masking.hash_key_file`);
    rules.push({ detector, action });
  };
  for (const [detectorName, action] of Object.entries(config.detectors)) {
    const detector = local.get(detectorName) ?? resolve(detectorName);
    if (detector === undefined) problems.push(`${where}.detectors.${detectorName}: unknown detector; known: ${known()}`);
    else add(`${where}.detectors.${detectorName}`, detector, action);
  }
  for (const [localName, detector] of local) {
    if (!(localName in config.detectors)) add(`${where}.detectors.${localName}`, detector, 'redact');
  }
  if (problems.length > before) return undefined;
  const profile: MaskingProfile = { name, rules, fieldNames: config.fields, fieldPaths: config.paths, hashKey };
  try {
    compileProfile(profile);
  } catch (err) {
    problems.push(`${where}: ${(err as Error).message}`);
    return undefined;
  }
  return profile;
}

/** Builds every profile; throws MaskingConfigError listing every problem with its path. */
export function buildProfiles(
  config: MaskingConfig,
  detectors: DetectorSource,
  hashKey?: Buffer,
  options: BuildProfilesOptions = {},
): Map<string, MaskingProfile> {
  const resolve = typeof detectors === 'function' ? detectors : (n: string): Detector | undefined => detectors.get(n);
  const known = (): string => {
    const names = [...(typeof detectors === 'function' ? (options.knownDetectors ?? []) : detectors.keys())].sort();
    return names.length > 0 ? names.join(', ') : '(none: no detector catalog was given)';
  };
  const problems: string[] = [];
  const profiles = new Map<string, MaskingProfile>();
  for (const [name, profileConfig] of Object.entries(config.profiles)) {
    const profile = buildProfile(name, profileConfig, resolve, known, hashKey, problems);
    if (profile !== undefined) profiles.set(name, profile);
  }
  if (problems.length > 0) throw new MaskingConfigError(problems);
  return profiles;
}

/** The server's entry point: reads the hash key file (if any) and builds the profiles against the catalog. */
export function maskingProfiles(config: MaskingConfig, detectors: DetectorSource = DETECTORS): ReadonlyMap<string, MaskingProfile> {
  const hashKey = config.hash_key_file === undefined ? undefined : readHashKey(config.hash_key_file);
  return buildProfiles(config, detectors, hashKey);
}
