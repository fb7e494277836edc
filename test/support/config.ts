// A complete residency-gate config for tests: the test issuer, two regions' targets, an audit file.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { AUDIENCE, ISSUER, type TestIssuer } from './issuer.js';

export function rawTestConfig(issuer: TestIssuer, auditFile: string, listen = '127.0.0.1:0', logLevel = 'silent'): Record<string, unknown> {
  return {
    server: { listen, shutdown_grace_ms: 1000 },
    identity: {
      issuers: [{ issuer: ISSUER, audience: AUDIENCE, jwks: { file: issuer.jwksFile }, region_claim: 'region' }],
    },
    policy: {
      regions: ['eu-west-1', 'us-east-1'],
      targets: [
        { name: 'crm-eu', region: 'eu-west-1', authority: 'crm.eu.example.com' },
        { name: 'analytics-us', region: 'us-east-1', authority: '*.us.example.com' },
      ],
    },
    audit: { file: auditFile },
    log: { level: logLevel },
    // Port 0: test files run in parallel, the default 127.0.0.1:9192 would collide.
    admin: { listen: '127.0.0.1:0' },
  };
}

export async function testConfig(issuer: TestIssuer): Promise<{ config: Config; auditFile: string }> {
  const auditFile = join(await mkdtemp(join(tmpdir(), 'rg-audit-')), 'audit.jsonl');
  return { config: parseConfig(rawTestConfig(issuer, auditFile), issuer.dir), auditFile };
}

/** For a residency-gate child process: logs at info, so its "serving" line tells the bound port. */
export function testConfigYaml(issuer: TestIssuer, auditFile: string, listen = '127.0.0.1:0'): string {
  return stringify(rawTestConfig(issuer, auditFile, listen, 'info'));
}
