// What a body is, from its headers: whether the maskers can read it, and how it is compressed.

export type BodyKind = 'json' | 'text' | 'binary';
export type ContentCoding = 'gzip' | 'deflate' | 'br';

export function bodyKind(contentType: string | undefined): BodyKind {
  // No content type: treat as text, so detectors still run (an unlabelled body is not exempt).
  if (contentType === undefined || contentType.trim() === '') return 'text';
  const mime = contentType.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  if (mime === 'application/json' || mime.endsWith('+json') || mime === 'application/x-ndjson') return mime === 'application/x-ndjson' ? 'text' : 'json';
  if (mime.startsWith('text/')) return 'text';
  if (['application/xml', 'application/x-www-form-urlencoded', 'application/javascript', 'application/graphql', 'application/yaml'].includes(mime) || mime.endsWith('+xml')) {
    return 'text';
  }
  return 'binary';
}

/** `null`: no decoding needed; `undefined`: an encoding we cannot read (the body is then blocked). */
export function contentCoding(header: string | undefined): ContentCoding | null | undefined {
  if (header === undefined) return null;
  const codings = header.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0) return null;
  if (codings.length > 1) return undefined;
  const [coding] = codings;
  if (coding === 'gzip' || coding === 'x-gzip') return 'gzip';
  if (coding === 'deflate') return 'deflate';
  if (coding === 'br') return 'br';
  return undefined;
}
