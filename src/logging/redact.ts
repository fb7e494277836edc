// Secrets never reach a log line: bearer tokens, cookies, the configured token header, and
// whatever a masker replaced. Applied to every line through pino's formatters.
//
// Not pino's `redact` option: its implementation (@pinojs/redact 0.4) re-parses every path on
// every call and cost each Check about 36 µs, a third of what deciding it costs. The rules here
// are the same paths, checked by key: a line with none of these keys is returned as it is.
const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-residency-token'];
// Tokens under any name we use, and the originals of masked values: the point of masking is that
// the original never leaves, logs included.
const SECRET_KEYS = ['token', 'access_token', 'id_token', 'masked_values', 'original', 'unmasked'];
export const CENSOR = '[redacted]';

type Fields = Record<string, unknown>;

const isFields = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Returns a redactor for: `headers.<h>`, `request.headers.<h>` and `<any>.headers.<h>` for every
 * secret header h (plus extraHeaders, case-insensitive), and `<k>` and `<any>.<k>` for every
 * secret key k. Copies only what it changes; the caller's objects are never modified.
 */
export function secretRedactor(extraHeaders: readonly string[] = []): (fields: Fields) => Fields {
  const headers = new Set([...SECRET_HEADERS, ...extraHeaders.map((h) => h.toLowerCase())]);
  const keys = new Set(SECRET_KEYS);

  const censorHeaders = (value: unknown): unknown => {
    if (!isFields(value)) return value;
    let out: Fields | undefined;
    for (const name of Object.keys(value)) {
      if (headers.has(name) && value[name] !== undefined) (out ??= { ...value })[name] = CENSOR;
    }
    return out ?? value;
  };

  // A secret key is censored at the top and one level down; a headers map wherever it stands there.
  const censorFields = (fields: Fields, nested: boolean): Fields => {
    let out: Fields | undefined;
    for (const name of Object.keys(fields)) {
      const value = fields[name];
      if (value === undefined) continue;
      const next = keys.has(name) ? CENSOR : name === 'headers' ? censorHeaders(value) : !nested && isFields(value) ? censorFields(value, true) : value;
      if (next !== value) (out ??= { ...fields })[name] = next;
    }
    return out ?? fields;
  };

  return (fields) => censorFields(fields, false);
}
