// The `admin` section: a small HTTP server on its own port for Prometheus and probes. Envoy's own
// admin interface is on 9901 in envoy/*.yaml; residency-gate's defaults to 9192 beside its gRPC 9191.
import { z } from 'zod';
import { tlsConfigSchema } from '../tls/config.js';

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'expected HOST:PORT, e.g. 127.0.0.1:9192');

export const adminConfigSchema = z
  .strictObject({
    /** false: no admin port (gRPC health still answers on the gRPC port). */
    enabled: z.boolean().default(true),
    /** /metrics, /healthz, /readyz. Loopback by default: widen it only behind TLS or a network policy. */
    listen: hostPort.default('127.0.0.1:9192'),
    /** HTTPS (and with client_ca_file, client certificates) on the admin port. */
    tls: tlsConfigSchema.optional(),
  })
  .prefault({});

export type AdminConfig = z.output<typeof adminConfigSchema>;
