// The key sets of a list of issuers, loaded before anything is verified with them. Shared by the
// caller verifier and the reviewer verifier: the same JWKS cache, refresh and cooldown rules.
import type { IssuerConfig } from '../config/schema.js';
import { IssuerKeys } from './jwks.js';
import { createJwksSource } from './jwks-source.js';

export interface TrustedIssuer<C extends IssuerConfig = IssuerConfig> {
  readonly config: C;
  readonly keys: IssuerKeys;
}

export interface KeyedIssuers<C extends IssuerConfig> {
  readonly trusted: ReadonlyMap<string, TrustedIssuer<C>>;
  close(): void;
}

export interface IssuerKeysOptions {
  readonly now: () => number;
  readonly fetch: typeof fetch;
  readonly onRefresh?: (issuer: string, ok: boolean) => void;
}

/** Rejects (closing what it opened) when a `jwks.file` cannot be loaded; remote sources may start empty. */
export async function loadIssuerKeys<C extends IssuerConfig>(issuers: readonly C[], options: IssuerKeysOptions): Promise<KeyedIssuers<C>> {
  const trusted = new Map<string, { config: C; keys: IssuerKeys }>();
  for (const config of issuers) {
    const keys = new IssuerKeys(config.issuer, createJwksSource(config, options.fetch), {
      refreshMs: config.jwks_refresh_seconds * 1000,
      cooldownMs: config.jwks_cooldown_seconds * 1000,
      now: options.now,
      onRefresh: (ok) => options.onRefresh?.(config.issuer, ok),
    });
    trusted.set(config.issuer, { config, keys });
  }
  const close = (): void => {
    for (const { keys } of trusted.values()) keys.close();
  };
  try {
    await Promise.all([...trusted.values()].map(({ keys }) => keys.start()));
  } catch (err) {
    close();
    throw err;
  }
  return { trusted, close };
}
