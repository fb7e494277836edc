// The workflow's rules on the file store, with a real audit writer and reviewers taken at their
// word: four eyes, comments, bounds, races between reviewers, undo when the audit trail fails,
// the sweeper recording an expiry once however many replicas sweep.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { approvalsConfigSchema, type ApprovalsConfig } from '../../../src/approvals/config.js';
import { ApprovalError } from '../../../src/approvals/errors.js';
import { FileApprovalStore } from '../../../src/approvals/file-store.js';
import type { Reviewer, ReviewerVerifier } from '../../../src/approvals/reviewers.js';
import { ApprovalService } from '../../../src/approvals/service.js';
import { AuditWriter } from '../../../src/audit/writer.js';
import { ResidencyError } from '../../../src/errors/catalog.js';
import { createLogger } from '../../../src/logging/logger.js';

const reviewers: ReviewerVerifier = {
  verify: async (token) => ({ issuer: 'https://reviewers.test', subject: token, roles: ['r'] }),
  close: () => undefined,
};
const as = (subject: string): Reviewer => ({ issuer: 'https://reviewers.test', subject, roles: ['r'] });

function config(extra: Record<string, unknown> = {}): ApprovalsConfig {
  return approvalsConfigSchema.parse({
    reviewers: { issuers: [{ issuer: 'https://reviewers.test', audience: 'a', jwks: { file: '/dev/null' }, roles: ['r'] }] },
    grant: { min_lifetime_seconds: 0.1, default_lifetime_seconds: 60, max_lifetime_seconds: 120, max_uses: 5 },
    ...extra,
  })!;
}

async function setup(options: { audit?: AuditWriter; extra?: Record<string, unknown>; dir?: string } = {}) {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'rg-approvals-svc-')));
  const cfg = config(options.extra);
  const store = await FileApprovalStore.create(join(dir, 'data'), { pendingTtlMs: cfg.pending_ttl_seconds * 1000, retentionMs: cfg.retention_seconds * 1000 });
  const audit = options.audit ?? (await AuditWriter.open({ file: join(dir, 'audit.jsonl') }));
  const service = new ApprovalService({ config: cfg, store, audit, reviewers, logger: createLogger('silent') });
  return { dir, service, audit, store };
}

const held = (subject: string, reason?: string) => ({
  requester: { issuer: 'https://issuer.test', subject }, originRegion: 'eu-west-1', target: 'analytics-us', targetRegion: 'us-east-1',
  rule: 'eu-to-us', method: 'GET', path: '/r', requestId: `req-${subject}`, reason,
});

async function ticketOf(service: ApprovalService, subject: string, reason?: string): Promise<string> {
  const a = await service.admit(held(subject, reason));
  if (a.granted) throw new Error('expected a ticket');
  return a.ticket.id;
}

const code = (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => (e instanceof ApprovalError || e instanceof ResidencyError ? e.code : String(e)));

describe('ApprovalService', () => {
  it('keeps the client’s reason as printable text of at most 500 characters', async () => {
    const { service } = await setup();
    const id = await ticketOf(service, 'ann', `line\u0000one\r\n${'x'.repeat(600)}`);
    const t = await service.show(id);
    expect(t.reason).toMatch(/^line one x+$/);
    expect(t.reason).toHaveLength(500);
    expect((await service.show(await ticketOf(service, 'ben', '   '))).reason).toBeNull();
  });

  it('refuses self-approval (subject compared without case), a missing comment, lifetimes and uses out of bounds', async () => {
    const { service } = await setup();
    const id = await ticketOf(service, 'Carl');
    expect(await code(service.approve(as('carl'), id, { comment: 'me' }))).toBe('SELF_APPROVAL_FORBIDDEN');
    expect(await code(service.deny(as('CARL'), id, { comment: 'me' }))).toBe('SELF_APPROVAL_FORBIDDEN');
    expect(await code(service.approve(as('rita'), id, { comment: '  ' }))).toBe('COMMENT_REQUIRED');
    expect(await code(service.approve(as('rita'), id, { comment: 'ok', lifetime_seconds: 121 }))).toBe('INVALID_REQUEST');
    expect(await code(service.approve(as('rita'), id, { comment: 'ok', lifetime_seconds: '60' }))).toBe('INVALID_REQUEST');
    expect(await code(service.approve(as('rita'), id, { comment: 'ok', uses: 6 }))).toBe('INVALID_REQUEST');
    expect(await code(service.approve(as('rita'), id, { comment: 'ok', uses: 1.5 }))).toBe('INVALID_REQUEST');
    expect(await code(service.show('../../etc/passwd'))).toBe('TICKET_NOT_FOUND');
    const ok = await service.approve(as('rita'), id, { comment: 'ok' });
    expect(ok.grant).toMatchObject({ uses: 5, remaining_uses: 5 }); // max_uses is the default when set
  });

  it('two reviewers racing on one ticket: exactly one decision wins, the other is told it is no longer pending', async () => {
    const { service } = await setup();
    const id = await ticketOf(service, 'dora');
    const results = await Promise.all([
      code(service.approve(as('rita'), id, { comment: 'yes' })),
      code(service.deny(as('sam'), id, { comment: 'no' })),
      code(service.approve(as('tom'), id, { comment: 'yes too' })),
    ]);
    expect(results.filter((r) => r === 'resolved')).toHaveLength(1);
    expect(results.filter((r) => r === 'TICKET_NOT_PENDING')).toHaveLength(2);
  });

  it('a decision the audit trail cannot record is undone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rg-approvals-svc-'));
    const real = await AuditWriter.open({ file: join(dir, 'audit.jsonl') });
    let failApprovals = false;
    const audit = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop === 'append') {
          return async (entry: { kind: string; event?: string }) => {
            if (failApprovals && entry.event === 'approved') throw new Error('disk full');
            return target.append(entry as never);
          };
        }
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const { service } = await setup({ audit, dir });
    const id = await ticketOf(service, 'eve');
    failApprovals = true;
    expect(await code(service.approve(as('rita'), id, { comment: 'ok' }))).toBe('AUDIT_UNAVAILABLE');
    expect((await service.show(id)).state).toBe('pending');
    expect((await service.admit(held('eve'))).granted).toBe(false);
    failApprovals = false;
    await service.approve(as('rita'), id, { comment: 'ok now' });
    expect((await service.admit(held('eve'))).granted).toBe(true);
  });

  it('two replicas sweeping record an expired grant once', async () => {
    const a = await setup();
    const b = await setup({ dir: a.dir, audit: a.audit });
    const id = await ticketOf(a.service, 'finn');
    await a.service.approve(as('rita'), id, { comment: 'brief', lifetime_seconds: 0.2 });
    await sleep(300);
    await Promise.all([a.service.sweep(), b.service.sweep(), a.service.sweep()]);
    await a.audit.close();
    const events = (await readFile(join(a.dir, 'audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { kind: string; ticket?: string; event?: string })
      .filter((r) => r.kind === 'approval' && r.ticket === id).map((r) => r.event);
    expect(events).toEqual(['requested', 'approved', 'expired']);
    expect((await a.service.show(id)).state).toBe('expired');
  });

  it('the store failing is APPROVALS_UNAVAILABLE for Check and for reviewers', async () => {
    const { service, store } = await setup();
    const broken = Object.assign(Object.create(Object.getPrototypeOf(store) as object) as FileApprovalStore, store);
    for (const m of ['open', 'get', 'list', 'consume', 'update', 'active'] as const) {
      (broken as unknown as Record<string, unknown>)[m] = () => Promise.reject(new Error('EIO'));
    }
    const svc = new ApprovalService({ config: config(), store: broken, audit: (service as unknown as { audit: AuditWriter }).audit, reviewers, logger: createLogger('silent') });
    expect(await code(svc.admit(held('gus')))).toBe('APPROVALS_UNAVAILABLE');
    expect(await code(svc.list())).toBe('APPROVALS_UNAVAILABLE');
    expect(await code(svc.show('apr_AAAAAAAAAAAAAAAA'))).toBe('APPROVALS_UNAVAILABLE');
  });

  it('the review URL: review_url with the ticket id, else the admin API, else none', async () => {
    const { service } = await setup();
    expect(service.reviewUrl('apr_x')).toBeNull();
    service.setAdminUrl('http://127.0.0.1:9192');
    expect(service.reviewUrl('apr_x')).toBe('http://127.0.0.1:9192/v1/approvals/tickets/apr_x');
    const other = await setup({ extra: { review_url: 'https://review.example/t/{ticket}?from=rg' } });
    expect(other.service.reviewUrl('apr_x')).toBe('https://review.example/t/apr_x?from=rg');
  });
});
