// Certificate files, loaded at start and read again every `reload_interval_ms`. A change is
// installed only once the new set is consistent (the key matches the certificate, the PEM
// parses): a renewal that writes the certificate before the key is picked up on the next read,
// and a broken file keeps the last good certificate in service rather than taking TLS down.
// Polling rather than fs.watch: Kubernetes updates mounted secrets by swapping a symlink, which
// watches on the old files never see.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import type { experimental } from '@grpc/grpc-js';
import type { Logger } from '../logging/logger.js';
import type { TlsConfig } from './config.js';

export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer | undefined;
}

export class TlsConfigError extends Error {
  override readonly name = 'TlsConfigError';
}

export interface WatcherOptions {
  readonly logger?: Logger;
  /** Called after every read that found a change: installed (true) or refused (false). */
  readonly onReload?: (ok: boolean) => void;
}

async function readMaterial(config: TlsConfig): Promise<TlsMaterial> {
  const [cert, key, ca] = await Promise.all([
    readFile(config.cert_file),
    readFile(config.key_file),
    config.client_ca_file === undefined ? Promise.resolve(undefined) : readFile(config.client_ca_file),
  ]);
  return { cert, key, ca };
}

function fingerprint(m: TlsMaterial): string {
  const h = createHash('sha256');
  for (const part of [m.cert, m.key, m.ca ?? Buffer.alloc(0)]) h.update(createHash('sha256').update(part).digest());
  return h.digest('hex');
}

/** Throws with the reason if the set cannot make a TLS context. */
function validate(m: TlsMaterial): void {
  createSecureContext({ cert: m.cert, key: m.key, ...(m.ca ? { ca: m.ca } : {}) });
}

export class CertificateWatcher {
  private material: TlsMaterial;
  private print: string;
  private timer: NodeJS.Timeout | undefined;
  private reading = false;
  private readonly listeners = new Set<(m: TlsMaterial) => void>();

  private constructor(
    readonly name: string,
    private readonly config: TlsConfig,
    first: TlsMaterial,
    private readonly options: WatcherOptions,
  ) {
    this.material = first;
    this.print = fingerprint(first);
  }

  /** Loads and checks the files; rejects with a one-line reason. Call start() to follow changes. */
  static async load(name: string, config: TlsConfig, options: WatcherOptions = {}): Promise<CertificateWatcher> {
    let material: TlsMaterial;
    try {
      material = await readMaterial(config);
      validate(material);
    } catch (err) {
      throw new TlsConfigError(`${name} TLS: ${(err as Error).message}`, { cause: err });
    }
    return new CertificateWatcher(name, config, material, options);
  }

  get current(): TlsMaterial {
    return this.material;
  }

  onChange(listener: (m: TlsMaterial) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): this {
    this.timer ??= setInterval(() => void this.check(), this.config.reload_interval_ms);
    this.timer.unref();
    return this;
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads the files now; resolves true when a new set was installed. */
  async check(): Promise<boolean> {
    if (this.reading) return false;
    this.reading = true;
    try {
      let next: TlsMaterial;
      try {
        next = await readMaterial(this.config);
      } catch (err) {
        // A file mid-replacement may be missing for a moment; keep serving the last good set.
        this.options.logger?.warn({ listener: this.name, err: (err as Error).message }, 'cannot read the TLS files; keeping the current certificate');
        return false;
      }
      const print = fingerprint(next);
      if (print === this.print) return false;
      try {
        validate(next);
      } catch (err) {
        this.options.onReload?.(false);
        this.options.logger?.error({ listener: this.name, err: (err as Error).message }, 'new TLS files are not usable; keeping the current certificate');
        return false;
      }
      this.material = next;
      this.print = print;
      this.options.onReload?.(true);
      this.options.logger?.info({ listener: this.name }, 'TLS certificate reloaded');
      for (const listener of this.listeners) listener(next);
      return true;
    } finally {
      this.reading = false;
    }
  }

  /** The same files as grpc-js's certificate provider: identity and CA, current set first. */
  certificateProvider(): experimental.CertificateProvider {
    const identity = new Set<experimental.IdentityCertificateUpdateListener>();
    const cas = new Set<experimental.CaCertificateUpdateListener>();
    let unsubscribe: (() => void) | undefined;
    const follow = (): void => {
      unsubscribe ??= this.onChange((m) => {
        for (const l of identity) l({ certificate: m.cert, privateKey: m.key });
        if (m.ca !== undefined) for (const l of cas) l({ caCertificate: m.ca });
      });
    };
    const unfollow = (): void => {
      if (identity.size === 0 && cas.size === 0) {
        unsubscribe?.();
        unsubscribe = undefined;
      }
    };
    return {
      addIdentityCertificateListener: (l) => {
        identity.add(l);
        follow();
        // grpc-js registers its watcher after adding listeners: answer on the next tick, as its own provider does.
        const m = this.material;
        process.nextTick(l, { certificate: m.cert, privateKey: m.key });
      },
      removeIdentityCertificateListener: (l) => {
        identity.delete(l);
        unfollow();
      },
      addCaCertificateListener: (l) => {
        cas.add(l);
        follow();
        const m = this.material;
        process.nextTick(l, m.ca === undefined ? null : { caCertificate: m.ca });
      },
      removeCaCertificateListener: (l) => {
        cas.delete(l);
        unfollow();
      },
    };
  }
}
