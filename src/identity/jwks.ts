// One issuer's signing keys, cached. jose's remote key set would fetch on its own schedule; we
// fetch ourselves and hand jose a local set, so that loading at start, the refresh timer, the
// refresh on an unknown key id and its rate limit are all ours to decide and to test.
//
// Keys only ever come from the configured source. The resolver below looks keys up by `alg` and
// `kid` alone; token headers that point elsewhere (`jku`, `x5u`) or carry a key (`jwk`, `x5c`) are
// never read, because jose consults them only when handed EmbeddedJWK, which we never do.
import { createLocalJWKSet, errors, type CryptoKey, type FlattenedJWSInput, type JWSHeaderParameters, type LocalJWKSet } from 'jose';
import { ResidencyError } from '../errors/catalog.js';
import { JwksLoadError, type JwksSource } from './jwks-source.js';

export interface IssuerKeysTiming {
  /** Period of the background refresh. */
  readonly refreshMs: number;
  /** Least time between two fetches that an unknown key id may cause. */
  readonly cooldownMs: number;
  /** Clock for the cooldown, in ms; injectable so tests can step over it. */
  readonly now: () => number;
  /** Told the result of every fetch (metrics). */
  readonly onRefresh?: (ok: boolean) => void;
}

export class IssuerKeys {
  private current: LocalJWKSet | undefined;
  private inFlight: Promise<boolean> | undefined;
  private lastAttemptMs = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly issuer: string,
    private readonly source: JwksSource,
    private readonly timing: IssuerKeysTiming,
  ) {}

  /**
   * Loads the keys once and starts the refresh timer. A local file that cannot be loaded is a
   * configuration error and rejects; a remote source that is down leaves the set empty, and
   * verification answers JWKS_UNAVAILABLE until a later fetch succeeds.
   */
  async start(): Promise<void> {
    if (!(await this.refresh()) && this.source.local) {
      throw new JwksLoadError(this.source.description, `cannot load the keys of issuer "${this.issuer}": ${this.failure?.message ?? 'unknown error'}`, {
        cause: this.failure,
      });
    }
    this.timer = setInterval(() => void this.refresh(), this.timing.refreshMs);
    // A pending refresh must not keep a process alive that is otherwise shutting down.
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Whether any key set has ever loaded. */
  get loaded(): boolean {
    return this.current !== undefined;
  }

  /** Why the last fetch failed, if it did; for logs and health checks. */
  get lastFailure(): Error | undefined {
    return this.failure;
  }

  /** The key lookup handed to jwtVerify. */
  readonly getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> => {
    if (this.current === undefined) await this.refreshAfterMiss();
    const keys = this.current;
    if (keys === undefined) {
      throw new ResidencyError('JWKS_UNAVAILABLE', `no keys loaded for issuer "${this.issuer}": ${this.failure?.message ?? 'not fetched yet'}`);
    }
    try {
      return await keys(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
      // The issuer may have rotated its keys since we last looked.
      await this.refreshAfterMiss();
      if (this.current === keys || this.current === undefined) throw err;
      return await this.current(header, token);
    }
  };

  // Rate-limited: an attacker minting random key ids must not turn us into a load generator
  // against the issuer. The cooldown runs from the last fetch of any kind, the first one included.
  // Callers that arrive while a fetch is under way wait for it rather than start another.
  private refreshAfterMiss(): Promise<boolean> {
    if (this.inFlight !== undefined) return this.inFlight;
    if (this.timing.now() - this.lastAttemptMs < this.timing.cooldownMs) return Promise.resolve(false);
    return this.refresh();
  }

  /** Fetches now (or joins the fetch under way); true when a new key set was installed. */
  private refresh(): Promise<boolean> {
    this.inFlight ??= this.fetchAndInstall().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  // A failed fetch keeps the last good keys: an issuer's brief outage must not lock every caller out.
  private async fetchAndInstall(): Promise<boolean> {
    this.lastAttemptMs = this.timing.now();
    try {
      this.current = createLocalJWKSet(await this.source.load());
      this.failure = undefined;
      this.timing.onRefresh?.(true);
      return true;
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err));
      this.timing.onRefresh?.(false);
      return false;
    }
  }
}
