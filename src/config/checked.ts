// A config file checked completely: the schema (load.ts) and what the schema cannot know, such as
// detector names against the catalog and the hash key file. `validate`, start-up and every reload
// run exactly these checks, so a file that validates in CI is a file that loads.
import { DETECTORS } from '../masking/detectors/index.js';
import { MaskingConfigError, maskingProfiles } from '../masking/profile.js';
import type { MaskingProfile } from '../masking/types.js';
import { networkMap, type NetworkMap } from '../policy/networks.js';
import { ConfigError, loadConfig, type ConfigProblem } from './load.js';
import type { Config } from './schema.js';

export interface CheckedConfig {
  readonly config: Config;
  readonly profiles: ReadonlyMap<string, MaskingProfile>;
  readonly networks: NetworkMap;
}

/** What the rest of a config needs once it is loaded; throws ConfigError listing every problem. */
export function derive(config: Config, file = '(inline)'): CheckedConfig {
  try {
    return { config, profiles: maskingProfiles(config.masking, DETECTORS), networks: networkMap(config.policy.networks) };
  } catch (err) {
    if (err instanceof MaskingConfigError) throw new ConfigError(file, err.problems.map(toProblem));
    if (err instanceof Error && /hash_key_file/.test(err.message)) throw new ConfigError(file, [{ path: 'masking.hash_key_file', message: err.message }]);
    throw err;
  }
}

export async function loadChecked(file: string): Promise<CheckedConfig> {
  return derive(await loadConfig(file), file);
}

/** "masking.profiles.x.detectors.y: unknown detector" → { path, message }. */
function toProblem(problem: string): ConfigProblem {
  const at = problem.indexOf(': ');
  return at < 0 ? { path: 'masking', message: problem } : { path: problem.slice(0, at), message: problem.slice(at + 2) };
}
