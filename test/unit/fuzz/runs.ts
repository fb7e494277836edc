// How many cases each fuzz property runs: a few thousand in `npm test`, more with `npm run fuzz`.
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 1000);

// A property runs many cases in one test; its time grows with FUZZ_RUNS, not with a hang.
export const FUZZ_TIMEOUT_MS = Math.max(120_000, FUZZ_RUNS * 100);
