// Reads the YAML file, validates it as a whole and reports every problem with its path, then
// resolves relative file paths against the file's own directory and freezes the result.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';
import { resolveTlsPaths } from '../tls/config.js';
import { resolveApprovalsPaths } from '../approvals/config.js';

export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
}

export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  constructor(file: string, problems: readonly ConfigProblem[]) {
    super(`${file}: ${problems.length} problem(s)\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : `${out === '' ? '' : '.'}${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

function problemsOf(error: z.ZodError): ConfigProblem[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

/** Validates an already-parsed document; `baseDir` anchors relative file paths. */
export function parseConfig(raw: unknown, baseDir: string, file = '(inline)'): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(file, problemsOf(result.error));
  const config = result.data;
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  for (const iss of config.identity.issuers) {
    if (iss.jwks.file !== undefined) iss.jwks.file = abs(iss.jwks.file);
  }
  config.audit.file = abs(config.audit.file);
  resolveApprovalsPaths(config.approvals, baseDir, config.audit.file);
  if (config.masking.hash_key_file !== undefined) config.masking.hash_key_file = abs(config.masking.hash_key_file);
  if (config.audit.signing_key_file !== undefined) config.audit.signing_key_file = abs(config.audit.signing_key_file);
  for (const tls of [config.server.tls, config.admin.tls]) resolveTlsPaths(tls, baseDir);
  return deepFreeze(config);
}

export async function loadConfig(file: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '(file)', message: (err as Error).message }]);
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(file, doc.errors.map((e) => ({ path: `line ${e.linePos?.[0]?.line ?? '?'}`, message: e.message.split('\n')[0] ?? e.code })));
  }
  return parseConfig(doc.toJS(), dirname(resolve(file)), file);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
