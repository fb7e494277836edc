// Vitest globalSetup: finds (or, on a fresh machine, installs) Envoy once per test run and hands
// its path to the tests, which read it with `inject('envoyBin')`.
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Path of the Envoy binary (scripts/ensure-envoy.mjs: $ENVOY_BIN, PATH, or .cache/envoy-venv). */
    envoyBin: string;
  }
}

interface EnsureEnvoyModule {
  ensureEnvoy(): Promise<string>;
}

export default async function setup(project: TestProject): Promise<void> {
  // A computed specifier: the script is plain JavaScript without type declarations.
  const script = new URL('../../scripts/ensure-envoy.mjs', import.meta.url).href;
  const { ensureEnvoy } = (await import(script)) as EnsureEnvoyModule;
  project.provide('envoyBin', await ensureEnvoy());
}
