// Reload triggers: SIGHUP, and a change of the config file on disk. Editors and config-map
// updates replace files in several steps (write a temp file, rename; or swap a symlink), so the
// directory is watched and events are debounced into one reload.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from '../logging/logger.js';

const DEBOUNCE_MS = 200;

export function watchConfig(file: string, logger: Logger, reload: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const soon = (): void => {
    clearTimeout(timer);
    timer = setTimeout(reload, DEBOUNCE_MS);
  };
  const onHup = (): void => {
    logger.info({ file }, 'SIGHUP: reloading the config');
    reload();
  };
  process.on('SIGHUP', onHup);
  let watcher: FSWatcher | undefined;
  try {
    const name = basename(file);
    // Kubernetes ConfigMaps swap a `..data` symlink next to the file rather than the file itself.
    watcher = watch(dirname(file), (_event, changed) => {
      if (changed === null || changed === name || changed === '..data') soon();
    });
    watcher.unref();
  } catch (err) {
    logger.warn({ err, file }, 'cannot watch the config file; reload with SIGHUP');
  }
  return () => {
    process.off('SIGHUP', onHup);
    watcher?.close();
    clearTimeout(timer);
  };
}
