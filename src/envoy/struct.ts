// google.protobuf.Struct in the object form @grpc/proto-loader expects (fields of tagged values).
import type { Struct } from './generated/google/protobuf/Struct.js';
import type { Value } from './generated/google/protobuf/Value.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export function toStruct(object: JsonObject): Struct {
  const fields: Record<string, Value> = {};
  for (const [key, value] of Object.entries(object)) fields[key] = toValue(value);
  return { fields };
}

function toValue(value: JsonValue): Value {
  if (value === null) return { nullValue: 'NULL_VALUE' };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(toValue) } };
  return { structValue: toStruct(value) };
}

/** The reverse, for reading metadata Envoy forwards to us (ext_proc's metadata_context). */
export function fromStruct(struct: { fields?: Record<string, Value> } | null | undefined): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(struct?.fields ?? {})) out[key] = fromValue(value);
  return out;
}

function fromValue(value: Value): JsonValue {
  if (value.structValue) return fromStruct(value.structValue);
  if (value.listValue) return (value.listValue.values ?? []).map(fromValue);
  if (value.stringValue !== undefined && value.stringValue !== null) return value.stringValue;
  if (value.numberValue !== undefined && value.numberValue !== null) return Number(value.numberValue);
  if (value.boolValue !== undefined && value.boolValue !== null) return value.boolValue;
  return null;
}
