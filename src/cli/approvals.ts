// `residency-gate approvals list|show|approve|deny|revoke`: a reviewer's client for the admin
// port's /v1/approvals API (docs/approvals.md). The token is the reviewer's own (--token,
// --token-file or $RESIDENCY_GATE_REVIEWER_TOKEN); the server checks it, the CLI only carries it.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

export const APPROVALS_HELP = `  residency-gate approvals list [--state STATE] [--target T] [--subject SUB] [--limit N] [--json]
  residency-gate approvals show TICKET [--json]
  residency-gate approvals approve TICKET --comment TEXT [--lifetime SECONDS] [--uses N]
  residency-gate approvals deny TICKET --comment TEXT
  residency-gate approvals revoke TICKET --comment TEXT
      Review approval tickets through the admin API. Common options: --admin URL (default
      $RESIDENCY_GATE_ADMIN, else http://127.0.0.1:9192), --token TOKEN or --token-file FILE
      (default $RESIDENCY_GATE_REVIEWER_TOKEN): a reviewer's token. Every decision needs a
      comment; nobody decides their own ticket. STATE: pending, approved, denied, expired, revoked.
      Exit 1 with the API's code when it refuses (e.g. SELF_APPROVAL_FORBIDDEN).
      Example: residency-gate approvals approve apr_Xb3… --comment "Q3 report" --lifetime 3600 --token "$T"
`;

interface Io {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
}

class CliUsageError extends Error {
  readonly exitCode = 2;
}

type Json = Record<string, unknown>;

export async function runApprovals(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        admin: { type: 'string' },
        token: { type: 'string' },
        'token-file': { type: 'string' },
        comment: { type: 'string' },
        lifetime: { type: 'string' },
        uses: { type: 'string' },
        state: { type: 'string' },
        target: { type: 'string' },
        subject: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
  } catch (err) {
    io.stderr.write(`residency-gate approvals: ${(err as Error).message}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, id, ...extra] = positionals;
  try {
    if (extra.length > 0) throw new CliUsageError(`unexpected arguments: ${extra.join(' ')}`);
    const admin = (values.admin ?? io.env.RESIDENCY_GATE_ADMIN ?? 'http://127.0.0.1:9192').replace(/\/+$/, '');
    const token = values.token ?? (values['token-file'] !== undefined ? (await readFile(values['token-file'], 'utf8')).trim() : io.env.RESIDENCY_GATE_REVIEWER_TOKEN);
    if (!token) throw new CliUsageError('a reviewer token is needed: --token, --token-file or $RESIDENCY_GATE_REVIEWER_TOKEN');
    const call = (method: 'GET' | 'POST', path: string, body?: Json) => request(admin, token, method, path, body);
    const needId = (): string => {
      if (id === undefined) throw new CliUsageError(`approvals ${command} needs a TICKET id`);
      return encodeURIComponent(id);
    };
    const needComment = (): string => {
      if (values.comment === undefined || values.comment.trim() === '') throw new CliUsageError(`approvals ${command} needs --comment TEXT (every decision needs one)`);
      return values.comment;
    };
    const number = (name: string, value: string | undefined): number | undefined => {
      if (value === undefined) return undefined;
      const n = Number(value);
      if (!Number.isFinite(n) || n <= 0) throw new CliUsageError(`--${name} expects a positive number`);
      return n;
    };
    switch (command) {
      case 'list': {
        if (id !== undefined) throw new CliUsageError('approvals list takes no TICKET');
        const q = new URLSearchParams();
        for (const key of ['state', 'target', 'subject', 'limit'] as const) if (values[key] !== undefined) q.set(key, values[key]);
        const { tickets } = (await call('GET', `/v1/approvals/tickets${q.size > 0 ? `?${q}` : ''}`)) as { tickets: Json[] };
        io.stdout.write(values.json ? `${JSON.stringify(tickets, null, 2)}\n` : listText(tickets));
        return 0;
      }
      case 'show': {
        const { ticket } = (await call('GET', `/v1/approvals/tickets/${needId()}`)) as { ticket: Json };
        io.stdout.write(values.json ? `${JSON.stringify(ticket, null, 2)}\n` : showText(ticket));
        return 0;
      }
      case 'approve': {
        const body: Json = { comment: needComment() };
        const lifetime = number('lifetime', values.lifetime);
        const uses = number('uses', values.uses);
        if (lifetime !== undefined) body.lifetime_seconds = lifetime;
        if (uses !== undefined) body.uses = uses;
        const { ticket } = (await call('POST', `/v1/approvals/tickets/${needId()}/approve`, body)) as { ticket: Json };
        const grant = ticket.grant as { expires_at: string; uses: number | null } | null;
        io.stdout.write(values.json ? `${JSON.stringify(ticket, null, 2)}\n` : `approved ${String(ticket.id)} until ${grant?.expires_at ?? '?'}${grant?.uses == null ? '' : ` for ${grant.uses} request(s)`}\n`);
        return 0;
      }
      case 'deny':
      case 'revoke': {
        const { ticket } = (await call('POST', `/v1/approvals/tickets/${needId()}/${command}`, { comment: needComment() })) as { ticket: Json };
        io.stdout.write(values.json ? `${JSON.stringify(ticket, null, 2)}\n` : `${command === 'deny' ? 'denied' : 'revoked'} ${String(ticket.id)}\n`);
        return 0;
      }
      default:
        throw new CliUsageError(`usage: residency-gate approvals list|show|approve|deny|revoke …; see residency-gate --help`);
    }
  } catch (err) {
    io.stderr.write(`residency-gate approvals: ${(err as Error).message}\n`);
    return err instanceof CliUsageError ? 2 : 1;
  }
}

async function request(admin: string, token: string, method: 'GET' | 'POST', path: string, body?: Json): Promise<Json> {
  let res: Response;
  try {
    res = await fetch(`${admin}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    throw new Error(`cannot reach the admin API at ${admin}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`, { cause: err });
  }
  const text = await res.text();
  let json: Json;
  try {
    json = JSON.parse(text) as Json;
  } catch {
    throw new Error(`${admin}${path}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
  }
  if (!res.ok) throw new Error(`${String(json.code ?? `HTTP ${res.status}`)}: ${String(json.message ?? json.error ?? '')}`);
  return json;
}

const who = (p: unknown): string => {
  const principal = p as { subject?: string; issuer?: string } | null;
  return principal ? `${principal.subject} (${principal.issuer})` : '-';
};

function listText(tickets: Json[]): string {
  if (tickets.length === 0) return 'no tickets\n';
  const rows = tickets.map((t) => [String(t.id), String(t.state), (t.requester as { subject: string }).subject, `${String(t.origin_region)} → ${String(t.target)} (${String(t.target_region)})`, String(t.created_at), String(t.reason ?? '')]);
  const head = ['TICKET', 'STATE', 'REQUESTER', 'ORIGIN → TARGET', 'CREATED', 'REASON'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

function showText(t: Json): string {
  const grant = t.grant as { expires_at: string; uses: number | null; remaining_uses: number | null } | null;
  const lines: Array<[string, string]> = [
    ['ticket', String(t.id)],
    ['state', String(t.state)],
    ['requester', who(t.requester)],
    ['from', String(t.origin_region)],
    ['target', `${String(t.target)} in ${String(t.target_region)} (rule ${String(t.rule)})`],
    ['request', `${String(t.method)} ${String(t.path)} (x-request-id ${String(t.request_id)})`],
    ['reason', String(t.reason ?? '-')],
    ['created', String(t.created_at)],
    ['pending until', String(t.pending_until)],
  ];
  if (t.decided_at) lines.push(['decided', `${String(t.decided_at)} by ${who(t.reviewer)}: ${String(t.comment)}`]);
  if (grant) lines.push(['grant', `until ${grant.expires_at}, ${grant.uses === null ? 'any number of requests' : `${grant.remaining_uses ?? 0} of ${grant.uses} request(s) left`}`]);
  if (t.revoked_at) lines.push(['revoked', `${String(t.revoked_at)} by ${who(t.revoked_by)}: ${String(t.revoke_comment)}`]);
  return lines.map(([k, v]) => `${k.padEnd(14)}${v}`).join('\n') + '\n';
}
