#!/usr/bin/env node
// The residency-gate command line. Errors are one clear line (or one line per config problem) and
// a non-zero exit.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.js';
import { join } from 'node:path';
import { defaultConfigPath, packageRoot } from './package-root.js';
import { serve } from './serve.js';
import { mintToken } from './token-mint.js';
import { AUDIT_HELP, runAudit } from './audit/index.js';

const DEMO_ISSUER = 'https://issuer.demo.residency-gate.test';

const HELP = `residency-gate: data-residency enforcement for Envoy (ext_authz)

Usage:
  residency-gate serve [--config FILE] [--listen HOST:PORT]
      Serve envoy.service.auth.v3.Authorization, grpc.health.v1.Health and reflection.
      Example: residency-gate serve --config config/example.yaml --listen 127.0.0.1:9191
  residency-gate validate FILE
      Check a config file; print every problem with its path; exit 1 if there is any.
      Example: residency-gate validate config/example.yaml
  residency-gate token mint --region REGION [--key FILE] [--subject SUB] [--issuer ISS]
                            [--audience AUD] [--ttl SECONDS]
      Sign a token with a local private JWK, for demos and tests only. Defaults: the example
      config's demo issuer key (config/example/demo-issuer.private.jwk.json), subject "demo-user",
      audience "residency-gate", ttl 3600.
      Example: residency-gate token mint --region eu-west-1
${AUDIT_HELP}  residency-gate --help

Without --config, serve uses the example config shipped with the package.
`;

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'audit') return runAudit(argv.slice(1));
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
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(HELP);
    return values.help || command === 'help' ? 0 : 2;
  }
  switch (command) {
    case 'serve':
      await serve(values.config ?? defaultConfigPath(), values.listen);
      return -1;
    case 'validate': {
      const file = rest[0] ?? values.config;
      if (file === undefined) throw new UsageError('validate needs a FILE');
      await loadConfig(file);
      process.stdout.write(`${file}: valid\n`);
      return 0;
    }
    case 'token': {
      if (rest[0] !== 'mint') throw new UsageError('usage: residency-gate token mint --region REGION');
      if (values.region === undefined) throw new UsageError('token mint needs --region');
      const ttl = Number(values.ttl ?? 3600);
      if (!Number.isInteger(ttl) || ttl <= 0) throw new UsageError('--ttl must be a positive number of seconds');
      const token = await mintToken({
        keyFile: values.key ?? join(packageRoot(), 'config/example/demo-issuer.private.jwk.json'),
        issuer: values.issuer ?? DEMO_ISSUER,
        audience: values.audience ?? 'residency-gate',
        region: values.region,
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
