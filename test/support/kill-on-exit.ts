// Child processes a test or benchmark starts (Envoy, redis-server, residency-gate) must not
// outlive it when it dies without stopping them: each is SIGKILLed when this process exits.
import type { ChildProcess } from 'node:child_process';

const running = new Set<ChildProcess>();
let hooked = false;

export function killOnExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const c of running) c.kill('SIGKILL');
  });
}
