// The configuration file's schema: every option, its default, and the checks that span several
// options. Unknown keys are errors (a typo must not silently disable a rule).
import { z } from 'zod';
import { adminConfigSchema } from '../admin/config.js';
import { auditConfigSchema } from '../audit/config.js';
import { logConfigSchema } from '../logging/config.js';
import { tlsConfigSchema } from '../tls/config.js';
import { maskingConfigSchema } from '../masking/config.js';
import { policyConfigSchema, policyProfileRefs, type TargetConfig } from '../policy/config.js';

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'expected HOST:PORT, e.g. 127.0.0.1:9191');

const jwksSource = z
  .strictObject({
    file: z.string().min(1).optional(),
    url: z.url().optional(),
    discovery: z.boolean().optional(),
  })
  .refine((s) => [s.file !== undefined, s.url !== undefined, s.discovery === true].filter(Boolean).length === 1, {
    message: 'name exactly one of file, url or discovery: true',
  });

const issuer = z.strictObject({
  issuer: z.string().min(1),
  audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  algorithms: z.array(z.enum(ALGORITHMS)).min(1).default(['RS256', 'ES256', 'EdDSA']),
  region_claim: z.string().min(1).default('region'),
  jwks: jwksSource,
  jwks_refresh_seconds: z.number().int().positive().default(600),
  jwks_cooldown_seconds: z.number().int().nonnegative().default(30),
  jwks_timeout_ms: z.number().int().positive().default(5000),
});

export const configSchema = z
  .strictObject({
    server: z
      .strictObject({
        listen: hostPort.default('127.0.0.1:9191'),
        shutdown_grace_ms: z.number().int().nonnegative().default(5000),
        tls: tlsConfigSchema.optional(), // docs/operations.md
      })
      .prefault({}),
    identity: z.strictObject({
      token_header: z.string().min(1).toLowerCase().default('authorization'),
      max_token_bytes: z.number().int().positive().default(8192),
      clock_tolerance_seconds: z.number().int().nonnegative().default(30),
      issuers: z.array(issuer).min(1),
    }),
    // Regions, targets, rules and masking rules; its own cross-checks run inside (src/policy/config.ts).
    policy: policyConfigSchema,
    audit: auditConfigSchema,
    masking: maskingConfigSchema.prefault({}),
    log: logConfigSchema,
    admin: adminConfigSchema, // docs/operations.md
    /** true only for demo configs: `token mint` refuses to sign for any other (docs/operations.md). */
    demo: z.boolean().default(false),
  })
  .superRefine((config, ctx) => {
    // Masking profiles are defined in another section, so only here can the policy's names be checked.
    for (const ref of policyProfileRefs(config.policy)) {
      if (!Object.hasOwn(config.masking.profiles, ref.profile)) {
        ctx.addIssue({ code: 'custom', path: ['policy', ...ref.path], message: `unknown masking profile "${ref.profile}"; define it under masking.profiles` });
      }
    }
    const seen = new Map<string, number>();
    config.identity.issuers.forEach((iss, i) => {
      const first = seen.get(iss.issuer);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['identity', 'issuers', i, 'issuer'], message: `duplicate of identity.issuers[${first}]` });
      }
      seen.set(iss.issuer, i);
    });
  });

export type Config = z.output<typeof configSchema>;
export type IssuerConfig = Config['identity']['issuers'][number];
export type { TargetConfig };
