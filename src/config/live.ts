// The settings requests are decided with, swapped whole on reload: a request reads one snapshot
// (`current`) and never sees half of a policy. A reload that fails, or that changes what only a
// restart can apply, keeps the running settings and says why.
import { isDeepStrictEqual } from 'node:util';
import type { TokenVerifier } from '../identity/types.js';
import { derive, type CheckedConfig } from './checked.js';
import { ConfigError, loadConfig, type ConfigProblem } from './load.js';
import type { Config } from './schema.js';

export interface Settings extends CheckedConfig {
  readonly verifier: TokenVerifier;
}

export interface ReloadStatus {
  readonly ok: boolean;
  readonly at: string;
  readonly problems: readonly ConfigProblem[];
}

/** Sections bound to sockets and files at start-up (approvals: its store, reviewers and webhook are built once). */
const RESTART_ONLY = ['server', 'admin', 'audit', 'approvals'] as const satisfies ReadonlyArray<keyof Config>;

export type VerifierFactory = (config: Config) => Promise<TokenVerifier>;

export class LiveSettings {
  private settings: Settings;
  private status: ReloadStatus | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    initial: Settings,
    private readonly makeVerifier: VerifierFactory,
    /** Applied to each loaded config before it is compared and used (e.g. a worker's own audit file). */
    private readonly adjust: (config: Config) => Config = (c) => c,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.settings = initial;
  }

  get current(): Settings {
    return this.settings;
  }

  get lastReload(): ReloadStatus | undefined {
    return this.status;
  }

  /** Reloads run one at a time, in the order asked. */
  reload(file: string): Promise<ReloadStatus> {
    const run = this.queue.then(() => this.reloadNow(file));
    this.queue = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.settings.verifier.close();
  }

  private async reloadNow(file: string): Promise<ReloadStatus> {
    const at = this.clock().toISOString();
    let next: CheckedConfig;
    try {
      next = derive(this.adjust(await loadConfig(file)), file);
    } catch (err) {
      const problems = err instanceof ConfigError ? err.problems : [{ path: '(file)', message: (err as Error).message }];
      return (this.status = { ok: false, at, problems });
    }
    const running = this.settings.config;
    const needRestart = RESTART_ONLY.filter((section) => !isDeepStrictEqual(next.config[section], running[section]));
    if (needRestart.length > 0) {
      return (this.status = { ok: false, at, problems: needRestart.map((s) => ({ path: s, message: 'changed; this section applies only on restart (the running settings are kept)' })) });
    }
    const sameIdentity = isDeepStrictEqual(next.config.identity, running.identity) && isDeepStrictEqual(next.config.policy.regions, running.policy.regions);
    let verifier: TokenVerifier;
    try {
      verifier = sameIdentity ? this.settings.verifier : await this.makeVerifier(next.config);
    } catch (err) {
      return (this.status = { ok: false, at, problems: [{ path: 'identity', message: (err as Error).message }] });
    }
    const previous = this.settings;
    this.settings = { ...next, verifier };
    if (!sameIdentity) previous.verifier.close();
    return (this.status = { ok: true, at, problems: [] });
  }
}
