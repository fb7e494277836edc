// The installed package's own directory, so the default config is found from any working directory.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the residency-gate package root');
    dir = parent;
  }
  return dir;
}

export function defaultConfigPath(): string {
  return join(packageRoot(), 'config', 'example.yaml');
}
