// The hooks that feed the metrics: small functions handed to the services, the audit writer and
// the verifier, so that those modules know nothing of Prometheus.
import { ServerInterceptingCall, status, type ServerInterceptor } from '@grpc/grpc-js';
import type { FileHandle } from 'node:fs/promises';
import type { AuditWriter } from '../audit/writer.js';
import type { OpenFile } from '../audit/trail-file.js';
import { auditedDecision, type CheckOutcome } from '../authz/outcome.js';
import type { PayloadReport } from '../extproc/payload-report.js';
import type { Metrics } from './metrics.js';

const PROCESS_METHOD = '/envoy.service.ext_proc.v3.ExternalProcessor/Process';
const KNOWN_SERVICES = ['envoy.service.auth.v3.Authorization', 'envoy.service.ext_proc.v3.ExternalProcessor', 'grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection'];

/** Check: one decision with its latency (ms). Token and JWKS codes also count as verification failures. */
export function decisionObserver(metrics: Metrics): (outcome: CheckOutcome, ms: number) => void {
  return (outcome, ms) => {
    const code = outcome.code;
    const verdict = auditedDecision(outcome);
    metrics.decisions.inc({
      outcome: verdict,
      code: code ?? 'none',
      rule: outcome.decision?.rule ?? 'none',
      origin_region: metrics.region(outcome.identity?.region),
      target_region: metrics.region(outcome.target?.region),
    });
    metrics.checkDuration.observe({ outcome: verdict }, ms / 1000);
    if (code !== undefined && (code.startsWith('TOKEN_') || code === 'JWKS_UNAVAILABLE')) metrics.tokenFailures.inc({ code });
  };
}

/** ext_proc: one message answered, by its type (request_headers, response_body, …). */
export function messageObserver(metrics: Metrics): (type: string | undefined, ms: number) => void {
  return (type, ms) => metrics.extprocMessageDuration.observe({ message: type ?? 'unknown' }, ms / 1000);
}

/** ext_proc: an exchange's report: masked values, bytes hashed, outcome. */
export function payloadObserver(metrics: Metrics): (report: PayloadReport) => void {
  return (report) => {
    metrics.payloadExchanges.inc({ outcome: report.outcome, code: report.code ?? 'none' });
    for (const [direction, part] of [['request', report.request], ['response', report.response]] as const) {
      if (part === null) continue;
      for (const [detector, count] of Object.entries(part.masked)) if (count > 0) metrics.maskedValues.inc({ detector, direction }, count);
      metrics.hashedBytes.inc({ direction, side: 'received' }, part.summary.bytes_received);
      metrics.hashedBytes.inc({ direction, side: 'delivered' }, part.summary.bytes_delivered);
    }
  };
}

/** JWKS: one fetch of an issuer's keys. */
export function jwksObserver(metrics: Metrics): (issuer: string, ok: boolean) => void {
  return (issuer, ok) => metrics.jwksRefreshes.inc({ issuer: metrics.issuer(issuer), result: ok ? 'success' : 'failure' });
}

/**
 * The audit writer's file opener, timing each write and fdatasync of the trail file itself (the
 * writability probe next to it is not counted) and counting their errors.
 */
export function instrumentedOpenFile(metrics: Metrics, trailFile: string, inner: OpenFile): OpenFile {
  return async (path, flags, mode) => {
    const handle = await inner(path, flags, mode);
    if (path !== trailFile) return handle;
    const timed = (fn: (...args: unknown[]) => Promise<unknown>, histogram: Metrics['auditWriteDuration'], operation: string) =>
      async (...args: unknown[]) => {
        const end = histogram.startTimer();
        try {
          return await fn.apply(handle, args);
        } catch (err) {
          metrics.auditFailures.inc({ operation });
          throw err;
        } finally {
          end();
        }
      };
    const write = timed(handle.write as never, metrics.auditWriteDuration, 'write');
    const datasync = timed(handle.datasync as never, metrics.auditFsyncDuration, 'fdatasync');
    return new Proxy(handle, {
      get(target, prop) {
        if (prop === 'write') return write;
        if (prop === 'datasync') return datasync;
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    }) as FileHandle;
  };
}

/** Queue depth read at scrape time; writability and its losses as they happen. */
export function watchAuditWriter(metrics: Metrics, writer: AuditWriter): void {
  metrics.readAuditQueueFrom(() => writer.queued);
  metrics.auditWritable.set(writer.isWritable ? 1 : 0);
  writer.onHealthChange((writable) => {
    metrics.auditWritable.set(writable ? 1 : 0);
    if (!writable) metrics.auditFailures.inc({ operation: 'unwritable' });
  });
}

function methodLabel(path: string): string {
  const service = path.slice(1, path.lastIndexOf('/'));
  return KNOWN_SERVICES.includes(service) ? path : 'other';
}

/** Every gRPC call: open calls by method, calls by status, and the ext_proc stream lifetime. */
export function metricsInterceptor(metrics: Metrics): ServerInterceptor {
  return (descriptor, call) => {
    const method = methodLabel(descriptor.path);
    let end: ((labels: { code: string }) => void) | undefined;
    let done = false;
    const finish = (code: string): void => {
      if (done || end === undefined) return;
      done = true;
      metrics.grpcStreamsOpen.dec({ method });
      metrics.grpcCalls.inc({ method, code });
      if (method === PROCESS_METHOD) end({ code });
    };
    return new ServerInterceptingCall(call, {
      start(next) {
        metrics.grpcStreamsOpen.inc({ method });
        end = method === PROCESS_METHOD ? metrics.extprocStreamDuration.startTimer() : () => undefined;
        next({ onCancel: () => finish('CANCELLED') });
      },
      sendStatus(statusObject, next) {
        finish(status[statusObject.code] ?? String(statusObject.code));
        next(statusObject);
      },
    });
  };
}
