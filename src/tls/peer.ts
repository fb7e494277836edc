// The client certificate's subject alternative names, and the allow-list check. Node gives the
// names as one string ("DNS:envoy, IP Address:10.0.0.1, URI:spiffe://…"); values with a comma
// come quoted.
import type { PeerCertificate } from 'node:tls';

export interface SubjectAltName {
  readonly type: string;
  readonly value: string;
}

const TYPE_ALIASES: Record<string, string> = { 'IP Address': 'IP', 'email': 'EMAIL', 'Email': 'EMAIL' };

export function parseSubjectAltNames(text: string | undefined): SubjectAltName[] {
  if (text === undefined || text === '') return [];
  const names: SubjectAltName[] = [];
  // Split on ", " outside quotes.
  const parts = text.match(/(?:[^,"]|"(?:[^"\\]|\\.)*")+/g) ?? [];
  for (const raw of parts) {
    const part = raw.trim();
    const colon = part.indexOf(':');
    if (colon <= 0) continue;
    const type = part.slice(0, colon);
    let value = part.slice(colon + 1);
    if (value.startsWith('"')) {
      try {
        value = JSON.parse(value) as string;
      } catch {
        continue;
      }
    }
    names.push({ type: TYPE_ALIASES[type] ?? type.toUpperCase(), value });
  }
  return names;
}

/** `DNS:envoy` → { type: 'DNS', value: 'envoy' }; `envoy` → any type. */
function parsePattern(pattern: string): { type: string | undefined; value: string } {
  const m = /^(DNS|URI|IP|EMAIL):(.*)$/i.exec(pattern);
  return m ? { type: m[1]!.toUpperCase(), value: m[2]! } : { type: undefined, value: pattern };
}

export type PeerRejection = 'no_certificate' | 'san_not_allowed';

/** Why the peer is refused, or undefined when one of its names is on the list. */
export function checkPeer(cert: PeerCertificate | undefined, allowed: readonly string[]): PeerRejection | undefined {
  if (cert === undefined || cert === null || Object.keys(cert).length === 0) return 'no_certificate';
  const names = parseSubjectAltNames(cert.subjectaltname);
  const patterns = allowed.map(parsePattern);
  const ok = names.some((n) => patterns.some((p) => (p.type === undefined || p.type === n.type) && (n.type === 'DNS' ? p.value.toLowerCase() === n.value.toLowerCase() : p.value === n.value)));
  return ok ? undefined : 'san_not_allowed';
}

/** For logs: the names a certificate carries (never the whole certificate). */
export function describePeer(cert: PeerCertificate | undefined): string {
  if (cert === undefined || cert === null || Object.keys(cert).length === 0) return 'no certificate';
  const names = parseSubjectAltNames(cert.subjectaltname);
  return names.length === 0 ? `no subject alternative name (CN ${cert.subject?.CN ?? '?'})` : names.map((n) => `${n.type}:${n.value}`).join(', ');
}
