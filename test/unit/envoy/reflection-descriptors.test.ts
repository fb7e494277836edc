// What protobuf-go (grpcurl) checks in the descriptors reflection serves; see the source's header.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { envoyPackageDefinition } from '../../../src/envoy/protos.js';
import { normaliseForReflection } from '../../../src/envoy/reflection-descriptors.js';

interface Field { name: string; typeName?: string; extendee?: string }
interface Message { name: string; field?: Field[]; nestedType?: Message[]; extensionRange?: Array<{ start: number; end: number }>; options?: { mapEntry?: boolean } }
interface File { name: string; package?: string; dependency?: string[]; messageType?: Message[]; extension?: Field[]; service?: Array<{ method: Array<{ inputType: string; outputType: string }> }> }

const require = createRequire(import.meta.url);
const protobufjs = require.resolve('protobufjs', { paths: [require.resolve('@grpc/proto-loader')] });
const { FileDescriptorProto } = require(protobufjs.replace(/index\.js$/, 'ext/descriptor/index.js')) as { FileDescriptorProto: { decode(b: Uint8Array): File } };

function servedFiles(): Map<string, File> {
  const files = new Map<string, File>();
  for (const entry of Object.values(normaliseForReflection(envoyPackageDefinition()))) {
    for (const bytes of ('fileDescriptorProtos' in entry ? entry.fileDescriptorProtos : []) as Uint8Array[]) {
      const file = FileDescriptorProto.decode(bytes);
      files.set(file.name, file);
    }
  }
  return files;
}

describe('normaliseForReflection', () => {
  const files = servedFiles();
  const owner = new Map<string, string>();
  const index = (scope: string, messages: Message[] | undefined, file: string): void => {
    for (const m of messages ?? []) {
      owner.set(`${scope}.${m.name}`, file);
      index(`${scope}.${m.name}`, m.nestedType, file);
    }
  };
  for (const f of files.values()) index(`.${f.package}`, f.messageType, f.name);

  const references = (f: File): string[] => {
    const refs: string[] = [];
    const walk = (ms: Message[] | undefined): void => ms?.forEach((m) => { m.field?.forEach((x) => x.typeName && refs.push(x.typeName)); walk(m.nestedType); });
    walk(f.messageType);
    f.extension?.forEach((x) => refs.push(...[x.typeName, x.extendee].filter((r): r is string => !!r)));
    f.service?.forEach((s) => s.method.forEach((m) => refs.push(m.inputType, m.outputType)));
    return refs;
  };

  it('qualifies every message reference and imports the file that defines it', () => {
    for (const file of files.values()) {
      for (const ref of references(file)) {
        expect(ref, `${file.name}: ${ref}`).toMatch(/^\./);
        const where = owner.get(ref);
        if (where && where !== file.name) expect(file.dependency, `${file.name} imports ${where}`).toContain(where);
      }
    }
  });

  it('names map entries <Field>Entry and keeps extension ranges non-empty', () => {
    const health = [...files.values()].find((f) => f.package === 'grpc.health.v1');
    const list = health?.messageType?.find((m) => m.name === 'HealthListResponse');
    expect(list?.nestedType?.find((n) => n.options?.mapEntry)?.name).toBe('StatusesEntry');
    const walk = (ms: Message[] | undefined): void =>
      ms?.forEach((m) => {
        m.extensionRange?.forEach((r) => expect(r.end, m.name).toBeGreaterThan(r.start));
        walk(m.nestedType);
      });
    for (const f of files.values()) walk(f.messageType);
  });
});
