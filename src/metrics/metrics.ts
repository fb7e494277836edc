// Every metric residency-gate exports, defined once, in a registry of its own per server (no
// global registry: tests make as many servers as they like). Labels are bounded: regions and
// issuers come from the config, codes from the error catalog, detectors from the masking engine;
// subjects, paths and request ids never become labels.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const METRIC_PREFIX = 'residency_gate_';

/** Seconds; Check answers in well under a millisecond to tens of ms (audit fsync included). */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** ext_proc streams live as long as the HTTP exchange. */
const STREAM_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const DISK_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export interface MetricsOptions {
  /** The config's regions: any other value is counted as "other". */
  readonly regions?: readonly string[];
  /** The config's issuers: any other value is counted as "other". */
  readonly issuers?: readonly string[];
  /** process_* and nodejs_* metrics (default true). */
  readonly processMetrics?: boolean;
}

export type ConfigReloadResult = 'success' | 'failure';

export class Metrics {
  readonly registry = new Registry();
  private readonly regions: ReadonlySet<string>;
  private readonly issuers: ReadonlySet<string>;

  readonly decisions = this.counter('decisions_total', 'Check decisions by outcome, reason code, rule and region pair.', ['outcome', 'code', 'rule', 'origin_region', 'target_region']);
  readonly checkDuration = this.histogram('check_duration_seconds', 'Check latency, from the request to the answer (audit write included).', ['outcome'], LATENCY_BUCKETS);
  readonly extprocStreamDuration = this.histogram('extproc_stream_duration_seconds', 'ext_proc Process stream lifetime (one HTTP exchange), by gRPC status.', ['code'], STREAM_BUCKETS);
  readonly extprocMessageDuration = this.histogram('extproc_message_duration_seconds', 'Time to answer one ext_proc message, by message type.', ['message'], LATENCY_BUCKETS);
  readonly payloadExchanges = this.counter('payload_exchanges_total', 'ext_proc exchanges by outcome and code.', ['outcome', 'code']);
  readonly tokenFailures = this.counter('token_verification_failures_total', 'Tokens refused, by error code.', ['code']);
  readonly jwksRefreshes = this.counter('jwks_refreshes_total', 'JWKS fetches by issuer and result.', ['issuer', 'result']);
  readonly maskedValues = this.counter('masked_values_total', 'Values masked in bodies, by detector and direction.', ['detector', 'direction']);
  readonly hashedBytes = this.counter('hashed_bytes_total', 'Body bytes hashed, by direction and side (received from the sender, delivered onward).', ['direction', 'side']);
  private auditQueue: (() => number) | undefined;
  readonly auditQueueDepth = new Gauge({
    name: `${METRIC_PREFIX}audit_queue_depth`,
    help: 'Audit entries accepted but not yet written (read at scrape time).',
    registers: [this.registry],
    collect: () => {
      if (this.auditQueue !== undefined) this.auditQueueDepth.set(this.auditQueue());
    },
  });
  readonly auditWriteDuration = this.histogram('audit_write_duration_seconds', 'One write of a group of audit lines.', [], DISK_BUCKETS);
  readonly auditFsyncDuration = this.histogram('audit_fsync_duration_seconds', 'One fdatasync of the audit file.', [], DISK_BUCKETS);
  readonly auditFailures = this.counter('audit_failures_total', 'Audit write or fdatasync errors, and times the trail turned unwritable.', ['operation']);
  readonly auditWritable = this.gauge('audit_writable', '1 while the audit trail can be written.', []);
  readonly configReloads = this.counter('config_reloads_total', 'Configuration reloads by result.', ['result']);
  readonly grpcStreamsOpen = this.gauge('grpc_streams_open', 'gRPC calls under way (unary and streaming), by method.', ['method']);
  readonly grpcCalls = this.counter('grpc_calls_total', 'gRPC calls finished, by method and status code.', ['method', 'code']);
  readonly ready = this.gauge('ready', '1 while serving (the overall health is SERVING).', []);
  readonly tlsReloads = this.counter('tls_certificate_reloads_total', 'Certificate files re-read after a change, by listener and result.', ['listener', 'result']);
  readonly tlsClientRejections = this.counter('tls_client_rejections_total', 'Calls refused because of the client certificate, by reason.', ['reason']);

  constructor(options: MetricsOptions = {}) {
    this.regions = new Set(options.regions ?? []);
    this.issuers = new Set(options.issuers ?? []);
    // Zero series for every region pair would be |regions|² × outcomes; let them appear on use.
    this.configReloads.inc({ result: 'success' }, 0);
    this.configReloads.inc({ result: 'failure' }, 0);
    this.auditWritable.set(1);
    // Event-loop delay sampled every 100 ms, not prom-client's 10 ms: a timer wake-up 100 times a
    // second in every process was about a third of an idle process's CPU (5.3 → 3.3 ms/s).
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX, eventLoopMonitoringPrecision: 100 });
  }

  /** A region label: configured regions as they are, anything else "other", none "none". */
  region(value: string | null | undefined): string {
    if (value === null || value === undefined || value === '') return 'none';
    return this.regions.has(value) ? value : 'other';
  }

  issuer(value: string): string {
    return this.issuers.has(value) ? value : 'other';
  }

  /** Where the audit queue depth is read from when scraped. */
  readAuditQueueFrom(source: () => number): void {
    this.auditQueue = source;
  }

  /** Prometheus text of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  private counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    return new Counter({ name: METRIC_PREFIX + name, help, labelNames, registers: [this.registry] });
  }

  private gauge<L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> {
    return new Gauge({ name: METRIC_PREFIX + name, help, labelNames, registers: [this.registry] });
  }

  private histogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]): Histogram<L> {
    return new Histogram({ name: METRIC_PREFIX + name, help, labelNames, buckets, registers: [this.registry] });
  }
}

/** For the config reload work: count one reload attempt. */
export function recordConfigReload(metrics: Metrics | undefined, result: ConfigReloadResult): void {
  metrics?.configReloads.inc({ result });
}
