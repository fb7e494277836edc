// `residency-gate validate FILE [--json]`: the start-up checks without serving. Exit 0 when valid,
// 1 with every problem (one line each, or as JSON for scripts).
import { loadChecked } from '../config/checked.js';
import { ConfigError } from '../config/load.js';

export async function validate(file: string, json: boolean, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  try {
    await loadChecked(file);
  } catch (err) {
    if (!(err instanceof ConfigError) || !json) throw err;
    out.write(`${JSON.stringify({ file, valid: false, problems: err.problems })}\n`);
    return 1;
  }
  out.write(json ? `${JSON.stringify({ file, valid: true, problems: [] })}\n` : `${file}: valid\n`);
  return 0;
}
