// What a failed write or fdatasync means for the entries involved, per durability mode. This is
// the loss guarantee of docs/audit.md § Failures in one place:
//  - sync: every caller still waiting is told (its append rejects); nothing of theirs stays in
//    the file or in memory, so the trail never holds a record whose Check was denied.
//  - batch: callers were already answered, so nothing may be dropped: everything since the last
//    good fdatasync is cut from the file (a failed fdatasync may have lost those pages) and goes
//    back to the front of the queue, ahead of what was waiting, in the original order.
//  - async: the failed write's entries go back to the front of the queue; what earlier writes
//    left unsynced stays in the file, as durable as the page cache makes it.
import type { Durability } from './config.js';
import type { Queued } from './seal.js';

export interface FailureOutcome {
  /** How far back the file is cut: to the end of the last successful write, or of the last fdatasync. */
  readonly cutTo: 'written' | 'synced';
  /** The queue to retry with, oldest first. */
  readonly queue: Queued[];
  /** Callers to tell that their entry was not recorded — once the cut is made. */
  readonly rejected: readonly Queued[];
}

export function entriesAfterFailure(mode: Durability, failed: readonly Queued[], unsynced: readonly Queued[], waiting: readonly Queued[]): FailureOutcome {
  switch (mode) {
    case 'sync':
      return { cutTo: 'written', queue: [], rejected: [...failed, ...waiting] };
    case 'batch':
      return { cutTo: 'synced', queue: [...unsynced, ...failed, ...waiting], rejected: [] };
    case 'async':
      return { cutTo: 'written', queue: [...failed, ...waiting], rejected: [] };
  }
}
