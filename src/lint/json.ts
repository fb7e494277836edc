// Reading an untyped, parsed bootstrap safely, and naming places in it.

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
export type Path = ReadonlyArray<string | number>;

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The object at `key`, or undefined when it is missing or not an object. */
export function obj(value: unknown, key: string): JsonObject | undefined {
  const child = isObject(value) ? value[key] : undefined;
  return isObject(child) ? child : undefined;
}

/** The array at `key`, or [] when it is missing or not an array. */
export function arr(value: unknown, key: string): Json[] {
  const child = isObject(value) ? value[key] : undefined;
  return Array.isArray(child) ? child : [];
}

export function str(value: unknown, key: string): string | undefined {
  const child = isObject(value) ? value[key] : undefined;
  return typeof child === 'string' ? child : undefined;
}

/** `true` only for a literal true (YAML `true`); Envoy also accepts the string "true" in JSON: so do we. */
export function isTrue(value: unknown, key: string): boolean {
  const child = isObject(value) ? value[key] : undefined;
  return child === true || child === 'true';
}

/** The value at a key path, or undefined. */
export function at(value: unknown, ...keys: string[]): Json | undefined {
  let cur: unknown = value;
  for (const k of keys) {
    if (!isObject(cur)) return undefined;
    cur = cur[k];
  }
  return cur as Json | undefined;
}

/** "@type" of a typed config, without the type.googleapis.com/ prefix. */
export function typeOf(config: unknown): string | undefined {
  const t = str(config, '@type');
  return t === undefined ? undefined : t.slice(t.lastIndexOf('/') + 1);
}

/** The type's last name segment: envoy.extensions.filters.http.ext_authz.v3.ExtAuthz -> ExtAuthz. */
export function typeName(config: unknown): string | undefined {
  const t = typeOf(config);
  return t === undefined ? undefined : t.slice(t.lastIndexOf('.') + 1);
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** static_resources.listeners[0].typed_config["envoy.filters.http.ext_authz"].disabled */
export function formatPath(path: Path): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (IDENT.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out === '' ? '(root)' : out;
}
