// docs/grafana-dashboard.json queries only metrics residency-gate exports: every name in its
// PromQL is defined in the registry (histograms through their _bucket/_sum/_count series).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PrimaryMetrics } from '../../../src/cluster/primary.js';
import { Metrics } from '../../../src/metrics/metrics.js';

interface Panel {
  title: string;
  targets?: Array<{ expr: string }>;
}

const dashboard = JSON.parse(readFileSync(new URL('../../../docs/grafana-dashboard.json', import.meta.url), 'utf8')) as { panels: Panel[] };

function exported(): Map<string, string> {
  const names = new Map<string, string>();
  for (const registry of [new Metrics().registry, new PrimaryMetrics().registry]) {
    for (const metric of registry.getMetricsAsArray()) {
      names.set(metric.name, String(metric.type));
      if (String(metric.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.set(metric.name + s, 'histogram series');
    }
  }
  return names;
}

describe('docs/grafana-dashboard.json', () => {
  const queried = dashboard.panels.flatMap((p) => (p.targets ?? []).flatMap((t) => [...t.expr.matchAll(/\bresidency_gate_[a-z0-9_]+/g)].map((m) => ({ panel: p.title, name: m[0] }))));

  it('queries metrics', () => {
    expect(queried.length).toBeGreaterThan(20);
  });

  it('every metric it queries exists in the registry', () => {
    const names = exported();
    const missing = queried.filter((q) => !names.has(q.name));
    expect(missing).toEqual([]);
  });

  it('uses every residency-gate metric somewhere', () => {
    const used = new Set(queried.map((q) => q.name.replace(/_(bucket|sum|count)$/, '')));
    const own = [...exported().entries()].filter(([n, type]) => type !== 'histogram series' && !/_(process|nodejs)_/.test(n)).map(([n]) => n);
    expect(own.filter((n) => !used.has(n))).toEqual([]);
  });
});
