// Where the response came from, as Envoy reports it in ext_proc's response attributes
// (`response_attributes: [upstream.address, upstream.locality, xds.cluster_name]` in envoy.yaml).
import type { Struct__Output } from '../envoy/generated/google/protobuf/Struct.js';
import { fromStruct } from '../envoy/struct.js';
import type { NetworkMap } from '../policy/networks.js';

export interface UpstreamHost {
  readonly address: string | null;
  readonly cluster: string | null;
  /** The region that answered: the endpoint's locality region, else the policy's network table. */
  readonly region: string | null;
}

const NAMESPACE = 'envoy.filters.http.ext_proc';

export function upstreamHost(attributes: Readonly<Record<string, Struct__Output>> | undefined, networks: NetworkMap): UpstreamHost | null {
  const values = attributes?.[NAMESPACE];
  if (!values) return null;
  const fields = fromStruct(values);
  const text = (key: string): string | null => {
    const v = fields[key];
    return typeof v === 'string' && v !== '' && v !== 'NULL' ? v : null;
  };
  const address = text('upstream.address');
  const cluster = text('xds.cluster_name');
  if (address === null && cluster === null) return null;
  const region = localityRegion(text('upstream.locality')) ?? (address === null ? null : (networks.regionOf(address) ?? null));
  return { address, cluster, region };
}

/** Envoy sends the locality as protobuf text: `region: "eu-west-1" zone: "a" `. */
function localityRegion(locality: string | null): string | null {
  if (locality === null) return null;
  return /(?:^|\s)region:\s*"([^"]*)"/.exec(locality)?.[1] || null;
}
