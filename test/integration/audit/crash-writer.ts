// Child process for crash.test.ts: appends to the trail under load, printing the number of each
// append whose promise resolved, until it is killed. Run with `node --import tsx`.
// Usage: crash-writer.ts FILE SIGNING_KEY DURABILITY ROUND
import { AuditWriter } from '../../../src/audit/writer.js';

const [file, signingKeyFile, durability, round] = process.argv.slice(2);
if (file === undefined || signingKeyFile === undefined || round === undefined || (durability !== 'sync' && durability !== 'batch' && durability !== 'async')) {
  process.stderr.write('usage: crash-writer.ts FILE SIGNING_KEY sync|batch|async ROUND\n');
  process.exit(2);
}

const writer = await AuditWriter.open({
  file,
  durability,
  batch_interval_ms: 5,
  signing_key_file: signingKeyFile,
  checkpoint_every_records: 100,
  rotate_bytes: 64 * 1024,
});
process.stdout.write('ready\n');

const IN_FLIGHT = 8;
let next = 0;

async function worker(): Promise<void> {
  for (;;) {
    const n = next++;
    await writer.append({
      kind: 'decision', request_id: `crash-${round}-${n}`, subject: 'load', issuer: 'https://iss', identity_source: 'token', origin_region: 'eu-west-1',
      target: 'crm-eu', target_region: 'eu-west-1', decision: 'allow', rule: 'same-region', code: null, method: 'POST', authority: 'crm.eu.example.com', path: `/items/${n}`,
    });
    // Printed only once the append resolved: in sync mode, a promise that this record is on disk.
    process.stdout.write(`${n}\n`);
    // batch and async resolve at once; a server yields to I/O between requests, and so must this loop.
    if (durability !== 'sync') await new Promise((resolve) => setImmediate(resolve));
  }
}

await Promise.all(Array.from({ length: IN_FLIGHT }, () => worker()));
