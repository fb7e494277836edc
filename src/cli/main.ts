#!/usr/bin/env node
// The residency-gate command line. Errors are one clear line (or one line per config problem) and
// a non-zero exit.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.js';
import { join } from 'node:path';
import { defaultConfigPath, packageRoot } from './package-root.js';
import { serve } from './serve.js';
import { demoIssuer, mintToken } from './token-mint.js';
import { validate } from './validate.js';
import { AUDIT_HELP, runAudit } from './audit/index.js';
import { LINT_ENVOY_HELP, runLintEnvoy } from './lint-envoy.js';
import { APPROVALS_HELP, runApprovals } from './approvals.js';

const HELP = `residency-gate: data-residency enforcement for Envoy (ext_authz and ext_proc)

Usage:
  residency-gate serve [--config FILE] [--listen HOST:PORT] [--workers N]
      Serve Authorization (ext_authz), ExternalProcessor (ext_proc), grpc.health.v1.Health and
      reflection on the gRPC port, and /metrics, /healthz, /readyz on the admin port (admin.listen,
      default 127.0.0.1:9192). --workers: processes sharing the port (default: one per core;
      1: a single process); each writes its own audit file (audit.w1.jsonl, …).
      Signals: SIGTERM/SIGINT drain and stop; SIGUSR2 toggles debug logging.
      Example: residency-gate serve --config config/example.yaml --listen 127.0.0.1:9191 --workers 2
  residency-gate validate FILE [--json]
      Check a config file; print every problem with its path (--json: one JSON object with the
      problems); exit 1 if there is any.
      Example: residency-gate validate config/example.yaml --json
  residency-gate token mint --region REGION [--config FILE] [--key FILE] [--subject SUB]
                            [--issuer ISS] [--audience AUD] [--ttl SECONDS]
      Sign a token with a local private JWK, for demos and tests only: refused unless the config
      says "demo: true" and the issuer takes its keys from a local jwks.file. Defaults: the example
      config and its demo issuer key (config/example/demo-issuer.private.jwk.json), subject
      "demo-user", the issuer's audience, ttl 3600.
      Example: residency-gate token mint --region eu-west-1
${AUDIT_HELP}${APPROVALS_HELP}${LINT_ENVOY_HELP}  residency-gate --help

Without --config, serve and token mint use the example config shipped with the package.
Errors are one line on stderr (one per config problem); exit 1, or 2 for a usage error.
`;

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'audit') return runAudit(argv.slice(1));
  if (argv[0] === 'lint-envoy') return runLintEnvoy(argv.slice(1));
  if (argv[0] === 'approvals') return runApprovals(argv.slice(1));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      listen: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      key: { type: 'string' },
      region: { type: 'string' },
      subject: { type: 'string' },
      issuer: { type: 'string' },
      audience: { type: 'string' },
      ttl: { type: 'string' },
      workers: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(HELP);
    return values.help || command === 'help' ? 0 : 2;
  }
  switch (command) {
    case 'serve':
      await serve(values.config ?? defaultConfigPath(), { listen: values.listen, workers: workersOption(values.workers) });
      return -1;
    case 'validate': {
      const file = rest[0] ?? values.config;
      if (file === undefined) throw new UsageError('validate needs a FILE');
      return validate(file, values.json === true);
    }
    case 'token': {
      if (rest[0] !== 'mint') throw new UsageError('usage: residency-gate token mint --region REGION');
      if (values.region === undefined) throw new UsageError('token mint needs --region');
      const ttl = Number(values.ttl ?? 3600);
      if (!Number.isInteger(ttl) || ttl <= 0) throw new UsageError('--ttl must be a positive number of seconds');
      const configFile = values.config ?? defaultConfigPath();
      const config = await loadConfig(configFile);
      const issuer = demoIssuer(config, configFile, values.issuer);
      if (!config.policy.regions.includes(values.region)) throw new UsageError(`region "${values.region}" is not in ${configFile}'s policy.regions`);
      const token = await mintToken({
        keyFile: values.key ?? join(packageRoot(), 'config/example/demo-issuer.private.jwk.json'),
        issuer: issuer.issuer,
        audience: values.audience ?? (typeof issuer.audience === 'string' ? issuer.audience : issuer.audience[0]!),
        region: values.region,
        regionClaim: issuer.region_claim,
        subject: values.subject ?? 'demo-user',
        ttlSeconds: ttl,
      });
      process.stdout.write(`${token}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"; see residency-gate --help`);
  }
}

class UsageError extends Error {}

function workersOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError('--workers expects a whole number from 1 to 256');
  return n;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
    } else {
      process.stderr.write(`residency-gate: ${(err as Error).message}\n`);
    }
    process.exitCode = err instanceof UsageError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? 2 : 1;
  },
);
