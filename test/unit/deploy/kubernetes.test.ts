// The core Kubernetes objects of envoy/istio/residency-gate.yaml, checked by hand (no CRD schema
// for them): the Deployment runs the image's entrypoint with a config the ConfigMaps provide,
// serves gRPC on 9191 (the Service's target), probes residency-gate's gRPC health service "", runs
// as the Dockerfile's unprivileged user with a read-only root, and writes its audit trail to a
// volume.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { at, byKind, kindOf, list, loadYamlDocuments, nameOf, namespaceOf, obj, one, ROOT, type Json, type JsonObject } from './support.js';

const core = loadYamlDocuments('envoy/istio/residency-gate.yaml');
const configMaps = ['envoy/istio/residency-gate-config.yaml', 'envoy/gateway/residency-gate-config.yaml'].map((f) => one(loadYamlDocuments(f), 'v1/ConfigMap'));
const namespace = one(core, 'v1/Namespace');
const serviceAccount = one(core, 'v1/ServiceAccount');
const deployment = one(core, 'apps/v1/Deployment');
const service = one(core, 'v1/Service');
const podSpec = obj(at(deployment.doc, 'spec', 'template', 'spec'));
const containers = list(podSpec.containers).map((c) => obj(c));
const container = containers[0]!;
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

describe('envoy/istio/residency-gate.yaml', () => {
  it('holds exactly a Namespace, a ServiceAccount, a Deployment and a Service, all in that namespace', () => {
    expect(core.map(kindOf).sort()).toEqual(['apps/v1/Deployment', 'v1/Namespace', 'v1/Service', 'v1/ServiceAccount']);
    for (const m of [serviceAccount, deployment, service, ...configMaps]) expect(namespaceOf(m), m.file).toBe(nameOf(namespace));
  });

  it('the Deployment selects its own pods, and the Service selects them too', () => {
    const labels = at(deployment.doc, 'spec', 'template', 'metadata', 'labels');
    expect(at(deployment.doc, 'spec', 'selector', 'matchLabels')).toEqual(labels);
    expect(at(service.doc, 'spec', 'selector')).toEqual(labels);
    expect(Number(at(deployment.doc, 'spec', 'replicas'))).toBeGreaterThanOrEqual(2);
  });

  it('one container, serving gRPC on 9191, which the Service targets by name', () => {
    expect(containers).toHaveLength(1);
    const ports = list(container.ports).map((p) => obj(p));
    expect(ports).toEqual([{ name: 'grpc', containerPort: 9191, protocol: 'TCP' }]);
    const servicePorts = list(at(service.doc, 'spec', 'ports')).map((p) => obj(p));
    expect(servicePorts).toEqual([{ name: 'grpc', appProtocol: 'grpc', port: 9191, targetPort: 'grpc', protocol: 'TCP' }]);
    expect(dockerfile).toMatch(/^EXPOSE 9191$/m);
  });

  it('probes gRPC health, service "" (residency-gate reports it), on the container port', () => {
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      expect(obj(container[probe], probe).grpc, probe).toEqual({ port: 9191, service: '' });
    }
    // The health service names residency-gate sets (src/server.ts); "" is the whole server.
    expect(readFileSync(join(ROOT, 'src/server.ts'), 'utf8')).toMatch(/HEALTH_SERVICES = \['', /);
  });

  it("runs the image's entrypoint with serve --config <the mounted ConfigMap's config.yaml>", () => {
    expect(container.command).toBeUndefined();
    const args = list(container.args);
    expect(args.slice(0, 2)).toEqual(['serve', '--config']);
    const configPath = String(args[2]);
    const mounts = list(container.volumeMounts).map((m) => obj(m));
    const configMount = mounts.find((m) => m.mountPath === dirname(configPath));
    expect(configMount?.readOnly).toBe(true);
    const volume = list(podSpec.volumes).map((v) => obj(v)).find((v) => v.name === configMount?.name);
    for (const cm of configMaps) {
      expect(at(volume, 'configMap', 'name'), cm.file).toBe(nameOf(cm));
      expect(Object.keys(obj(cm.doc.data)), cm.file).toEqual([configPath.split('/').at(-1)]);
    }
  });

  it('every ConfigMap holds a valid residency-gate config listening on 9191, auditing to the writable volume', () => {
    const auditMount = list(container.volumeMounts).map((m) => obj(m)).find((m) => m.name === 'audit');
    expect(auditMount?.readOnly).toBeUndefined();
    for (const cm of configMaps) {
      const raw = obj(parse(String(at(cm.doc, 'data', 'config.yaml'))) as Json);
      const config = parseConfig(raw, '/etc/residency-gate', cm.file);
      expect(config.server.listen, cm.file).toBe('0.0.0.0:9191');
      expect(dirname(config.audit.file), cm.file).toBe(auditMount?.mountPath);
    }
  });

  it('runs unprivileged: non-root (the Dockerfile USER), no privilege escalation, read-only root, no capabilities', () => {
    const pod = obj(podSpec.securityContext);
    const user = /^USER (\d+):(\d+)$/m.exec(dockerfile);
    expect(pod.runAsNonRoot).toBe(true);
    expect(String(pod.runAsUser)).toBe(user?.[1]);
    expect(String(pod.runAsGroup)).toBe(user?.[2]);
    expect(at(pod, 'seccompProfile', 'type')).toBe('RuntimeDefault');
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(podSpec.serviceAccountName).toBe(nameOf(serviceAccount));
    expect(podSpec.automountServiceAccountToken).toBe(false);
  });

  it('declares resources: requests, and a memory limit above the V8 heap cap', () => {
    const resources = obj(container.resources);
    expect(Object.keys(obj(resources.requests)).sort()).toEqual(['cpu', 'memory']);
    const limit = String(at(resources, 'limits', 'memory'));
    expect(limit).toMatch(/^\d+Mi$/);
    const heap = /--max-old-space-size=(\d+)/.exec(JSON.stringify(container.env))?.[1];
    expect(Number(heap)).toBeLessThan(parseInt(limit, 10));
  });

  it('uses no kind beyond the core ones here (the Istio-only objects live in residency-gate-access.yaml)', () => {
    expect(byKind(core, 'security.istio.io/v1/AuthorizationPolicy')).toEqual([]);
    expect(obj((namespace.doc.metadata as JsonObject).labels)['istio-injection']).toBe('enabled');
  });
});
