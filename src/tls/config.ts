// The `tls` block, used by `server.tls` (the gRPC port) and `admin.tls` (the admin port): a
// certificate and key, and for mutual TLS a client CA and optionally the client names allowed.
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

export const tlsConfigSchema = z
  .strictObject({
    /** PEM certificate chain this server presents (leaf first). */
    cert_file: z.string().min(1),
    /** PEM private key of that certificate. */
    key_file: z.string().min(1),
    /** PEM CA bundle: set, a client certificate signed by it is required (mutual TLS). */
    client_ca_file: z.string().min(1).optional(),
    /**
     * Subject alternative names a client certificate must carry one of: `DNS:name`, `URI:uri`,
     * `IP:address`, or a bare value matching any type. Unset: any certificate the CA signed.
     */
    allowed_client_sans: z.array(z.string().min(1)).min(1).optional(),
    /** How often the files are read again; a change is served without a restart. */
    reload_interval_ms: z.number().int().min(100).default(5000),
  })
  .refine((t) => t.allowed_client_sans === undefined || t.client_ca_file !== undefined, {
    message: 'allowed_client_sans needs client_ca_file (client certificates are only asked for with a client CA)',
    path: ['allowed_client_sans'],
  });

export type TlsConfig = z.output<typeof tlsConfigSchema>;

/** Resolves the block's file paths against the config file's directory. */
export function resolveTlsPaths(tls: TlsConfig | undefined, baseDir: string): void {
  if (tls === undefined) return;
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  tls.cert_file = abs(tls.cert_file);
  tls.key_file = abs(tls.key_file);
  if (tls.client_ca_file !== undefined) tls.client_ca_file = abs(tls.client_ca_file);
}
