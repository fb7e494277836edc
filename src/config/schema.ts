// The configuration file's schema: every option, its default, and the checks that span several
// options. Unknown keys are errors (a typo must not silently disable a rule).
import { z } from 'zod';
import { auditConfigSchema } from '../audit/config.js';
import { maskingConfigSchema } from '../masking/config.js';

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'expected HOST:PORT, e.g. 127.0.0.1:9191');
const regionName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a region is lower-case letters, digits and dashes');

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

const target = z.strictObject({
  name: z.string().min(1),
  region: regionName,
  authority: z
    .string()
    .regex(/^(\*\.)?[a-z0-9.-]+(:\d{1,5})?$/i, 'expected a host name, optionally with a port, or *.suffix')
    .optional(),
  path_prefix: z.string().startsWith('/').default('/'),
});

const maskingRule = z.strictObject({
  profile: z.string().min(1),
  directions: z.array(z.enum(['request', 'response'])).min(1).default(['request', 'response']),
  targets: z.array(z.string().min(1)).min(1).optional(),
  origin_regions: z.array(regionName).min(1).optional(),
  target_regions: z.array(regionName).min(1).optional(),
  cross_region_only: z.boolean().default(false),
});

export const configSchema = z
  .strictObject({
    server: z
      .strictObject({
        listen: hostPort.default('127.0.0.1:9191'),
        shutdown_grace_ms: z.number().int().nonnegative().default(5000),
      })
      .prefault({}),
    identity: z.strictObject({
      token_header: z.string().min(1).toLowerCase().default('authorization'),
      max_token_bytes: z.number().int().positive().default(8192),
      clock_tolerance_seconds: z.number().int().nonnegative().default(30),
      issuers: z.array(issuer).min(1),
    }),
    policy: z.strictObject({
      regions: z.array(regionName).min(1),
      targets: z.array(target).default([]),
      default_target: z.strictObject({ name: z.string().min(1), region: regionName }).optional(),
      // Which masking profile ext_proc applies, by target and regions; the first match wins.
      masking: z.array(maskingRule).default([]),
    }),
    audit: auditConfigSchema,
    masking: maskingConfigSchema.prefault({}),
    log: z
      .strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    const known = new Set(config.policy.regions);
    config.policy.targets.forEach((t, i) => {
      if (!known.has(t.region)) {
        ctx.addIssue({ code: 'custom', path: ['policy', 'targets', i, 'region'], message: `unknown region "${t.region}"; declare it in policy.regions` });
      }
    });
    const fallback = config.policy.default_target;
    if (fallback && !known.has(fallback.region)) {
      ctx.addIssue({ code: 'custom', path: ['policy', 'default_target', 'region'], message: `unknown region "${fallback.region}"` });
    }
    config.policy.masking.forEach((rule, i) => {
      if (!Object.hasOwn(config.masking.profiles, rule.profile)) {
        ctx.addIssue({ code: 'custom', path: ['policy', 'masking', i, 'profile'], message: `unknown masking profile "${rule.profile}"; define it under masking.profiles` });
      }
      for (const key of ['origin_regions', 'target_regions'] as const) {
        rule[key]?.forEach((r, j) => {
          if (!known.has(r)) ctx.addIssue({ code: 'custom', path: ['policy', 'masking', i, key, j], message: `unknown region "${r}"` });
        });
      }
    });
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
export type TargetConfig = Config['policy']['targets'][number];
