// Runs a StreamingMasker over chunks and reports the output, the largest hold-back seen and any error.
import type { StreamingMasker } from '../../../../src/masking/types.js';

export interface StreamRun {
  readonly output: Buffer;
  readonly maxHeld: number;
}

export function runChunks(masker: StreamingMasker & { readonly heldChars?: number }, chunks: Iterable<Uint8Array>): StreamRun {
  const parts: Buffer[] = [];
  let maxHeld = 0;
  for (const chunk of chunks) {
    parts.push(masker.push(chunk));
    maxHeld = Math.max(maxHeld, masker.heldChars ?? 0);
  }
  parts.push(masker.end());
  return { output: Buffer.concat(parts), maxHeld };
}

/** The outcome as a comparable value: the output, or the error's class. */
export function outcome(run: () => Buffer | string): string {
  try {
    const out = run();
    return `ok:${typeof out === 'string' ? out : out.toString('utf8')}`;
  } catch (err) {
    return `error:${(err as Error).name}`;
  }
}
