// What the primary and its workers tell each other over the cluster IPC channel, and where each
// worker writes its audit trail.
import { basename, dirname, extname, join } from 'node:path';
import type { NotReadyReason } from '../admin/readiness.js';

/** Environment variable carrying a worker's number (1…N) from the primary. */
export const WORKER_INDEX_ENV = 'RESIDENCY_GATE_WORKER';

export type WorkerMessage =
  | { readonly rg: 'serving'; readonly index: number; readonly address: string; readonly auditFile: string }
  | { readonly rg: 'readiness'; readonly index: number; readonly ready: boolean; readonly reasons: readonly NotReadyReason[] };

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return typeof value === 'object' && value !== null && ((value as { rg?: unknown }).rg === 'serving' || (value as { rg?: unknown }).rg === 'readiness');
}

/**
 * One trail per worker, each its own chain: `audit.jsonl` → `audit.w1.jsonl`, `audit.w2.jsonl`…
 * (rotated files follow: `audit.w1.<time>.<seq>.jsonl`). A worker that restarts gets its number
 * back and continues its own chain.
 */
export function workerAuditFile(file: string, index: number): string {
  const name = basename(file);
  const ext = extname(name);
  const stem = ext === '' ? name : name.slice(0, -ext.length);
  return join(dirname(file), `${stem}.w${index}${ext}`);
}
