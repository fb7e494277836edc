// Makes the descriptors that @grpc/reflection serves acceptable to grpcurl (protobuf-go).
// proto-loader builds them with protobufjs, which writes type references relative to their scope,
// declares no imports between files, and names map entries after the field ("Statuses" rather than
// "StatusesEntry"). protobuf-go rejects all three (grpc/grpc-node#2958, #3018). This rewrites every
// reference to its fully qualified name, declares the files it comes from as dependencies, renames
// map entries, and fixes what else protobuf-go checks (ranges, proto2 syntax), once at start-up.
import type { PackageDefinition } from '@grpc/proto-loader';
import { createRequire } from 'node:module';

interface Field { name?: string; typeName?: string; extendee?: string; defaultValue?: string; label?: string | number }
interface Range { start?: number; end?: number }
interface Message { name?: string; field?: Field[]; extension?: Field[]; extensionRange?: Range[]; reservedRange?: Range[]; nestedType?: Message[]; enumType?: { name?: string }[]; options?: { mapEntry?: boolean } }
interface Method { inputType?: string; outputType?: string }
interface FileDescriptor {
  name?: string;
  package?: string;
  syntax?: string;
  dependency?: string[];
  messageType?: Message[];
  enumType?: { name?: string }[];
  extension?: Field[];
  service?: { method?: Method[] }[];
}
interface DescriptorCodec {
  decode(bytes: Uint8Array): FileDescriptor;
  encode(file: FileDescriptor): { finish(): Uint8Array };
}

// protobufjs is proto-loader's own dependency; its descriptor extension is CommonJS only.
const require = createRequire(import.meta.url);
const protobufjsDir = require.resolve('protobufjs', { paths: [require.resolve('@grpc/proto-loader')] });
const { FileDescriptorProto } = require(protobufjsDir.replace(/index\.js$/, 'ext/descriptor/index.js')) as { FileDescriptorProto: DescriptorCodec };

export function normaliseForReflection(definition: PackageDefinition): PackageDefinition {
  const files = new Map<string, FileDescriptor>();
  for (const entry of Object.values(definition)) {
    for (const bytes of ('fileDescriptorProtos' in entry ? entry.fileDescriptorProtos : []) as Uint8Array[]) {
      const file = FileDescriptorProto.decode(bytes);
      if (file.name && !files.has(file.name)) files.set(file.name, file);
    }
  }
  const owner = indexSymbols(files);
  for (const file of files.values()) qualifyFile(file, owner);
  const encoded = new Map([...files].map(([name, file]) => [name, Buffer.from(FileDescriptorProto.encode(file).finish())]));

  const out: PackageDefinition = {};
  for (const [key, entry] of Object.entries(definition)) {
    if (!('fileDescriptorProtos' in entry)) {
      out[key] = entry;
      continue;
    }
    const names = (entry.fileDescriptorProtos as Uint8Array[]).map((b) => FileDescriptorProto.decode(b).name ?? '');
    out[key] = { ...entry, fileDescriptorProtos: names.map((n) => encoded.get(n) ?? Buffer.alloc(0)) } as typeof entry;
  }
  return out;
}

/** Fully qualified message and enum names → the file that defines them. */
function indexSymbols(files: ReadonlyMap<string, FileDescriptor>): Map<string, string> {
  const owner = new Map<string, string>();
  const walk = (scope: string, messages: Message[] | undefined, enums: { name?: string }[] | undefined, file: string): void => {
    for (const e of enums ?? []) owner.set(`${scope}.${e.name}`, file);
    for (const m of messages ?? []) {
      for (const nested of m.nestedType ?? []) {
        if (nested.options?.mapEntry) renameMapEntry(m, nested);
      }
      owner.set(`${scope}.${m.name}`, file);
      walk(`${scope}.${m.name}`, m.nestedType, m.enumType, file);
    }
  };
  for (const [name, file] of files) walk(file.package ? `.${file.package}` : '', file.messageType, file.enumType, name);
  return owner;
}

function renameMapEntry(parent: Message, entry: Message): void {
  const field = parent.field?.find((f) => f.typeName === entry.name);
  if (!field?.name) return;
  const camel = field.name.replace(/(^|_)([a-z])/g, (_m, _u: string, c: string) => c.toUpperCase());
  entry.name = `${camel}Entry`;
  field.typeName = entry.name;
}

function qualifyFile(file: FileDescriptor, owner: ReadonlyMap<string, string>): void {
  const deps = new Set(file.dependency ?? []);
  const resolve = (scope: string, ref: string | undefined): string | undefined => {
    if (!ref) return ref;
    if (ref.startsWith('.')) {
      const where = owner.get(ref);
      if (where !== undefined && where !== file.name) deps.add(where);
      return ref;
    }
    // Protobuf scoping: look in the innermost scope first, then each enclosing one.
    for (let s = scope; ; s = s.slice(0, Math.max(0, s.lastIndexOf('.')))) {
      const candidate = `${s}.${ref}`;
      const where = owner.get(candidate);
      if (where !== undefined) {
        if (where !== file.name) deps.add(where);
        return candidate;
      }
      if (s === '') return ref;
    }
  };
  const walk = (scope: string, messages: Message[] | undefined): void => {
    for (const m of messages ?? []) {
      const inner = `${scope}.${m.name}`;
      // protobufjs also lists extensions as fields of the message they extend, named ".pkg.ext";
      // they are declared where they belong, and copies here would make the two files import each other.
      m.field = (m.field ?? []).filter((f) => !f.name?.startsWith('.'));
      for (const f of m.field) f.typeName = resolve(inner, f.typeName);
      // protobufjs keeps ranges inclusive and writes them as they are; descriptors' ends are exclusive.
      for (const r of [...(m.extensionRange ?? []), ...(m.reservedRange ?? [])]) if (r.end !== undefined) r.end += 1;
      m.extension = qualifyExtensions(inner, m.extension);
      walk(inner, m.nestedType);
    }
  };
  const qualifyExtensions = (scope: string, extensions: Field[] | undefined): Field[] => {
    for (const ext of extensions ?? []) {
      ext.typeName = resolve(scope, ext.typeName);
      ext.extendee = resolve(scope, ext.extendee);
    }
    return extensions ?? [];
  };
  const pkgScope = file.package ? `.${file.package}` : '';
  walk(pkgScope, file.messageType);
  file.extension = qualifyExtensions(pkgScope, file.extension);
  for (const service of file.service ?? []) {
    for (const method of service.method ?? []) {
      method.inputType = resolve(pkgScope, method.inputType);
      method.outputType = resolve(pkgScope, method.outputType);
    }
  }
  file.dependency = [...deps];
  // protobufjs marks every file proto3, but descriptor.proto is proto2 (defaults, required fields).
  if (usesProto2Features(file.messageType)) file.syntax = 'proto2';
}

function usesProto2Features(messages: Message[] | undefined): boolean {
  return (messages ?? []).some(
    (m) => (m.field ?? []).some((f) => f.defaultValue !== undefined || f.label === 'LABEL_REQUIRED' || f.label === 2) || usesProto2Features(m.nestedType),
  );
}
