// Which region an upstream address is in, from the policy's network table. Used to check where a
// request actually went: ext_authz decides before Envoy picks a host, and locality failover can
// still send it to another region.
import { BlockList, isIP } from 'node:net';

export interface NetworkConfig {
  readonly cidr: string;
  readonly region: string;
}

export interface NetworkMap {
  regionOf(address: string): string | undefined;
}

/** Throws on a malformed CIDR; the config schema checks them first, so this is for programming errors. */
export function networkMap(networks: readonly NetworkConfig[]): NetworkMap {
  const lists = networks.map((n) => {
    const list = new BlockList();
    const [net, bits] = parseCidr(n.cidr);
    list.addSubnet(net, bits, isIP(net) === 6 ? 'ipv6' : 'ipv4');
    return { list, region: n.region };
  });
  return {
    regionOf(address) {
      const host = hostOf(address);
      const family = isIP(host);
      if (family === 0) return undefined;
      // The first entry that contains the address wins, as in the file.
      return lists.find((l) => l.list.check(host, family === 6 ? 'ipv6' : 'ipv4'))?.region;
    },
  };
}

export function parseCidr(cidr: string): [string, number] {
  const [net, bitsText] = cidr.split('/');
  const family = isIP(net ?? '');
  const bits = Number(bitsText);
  if (family === 0 || !Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32)) throw new Error(`"${cidr}" is not an IPv4 or IPv6 CIDR`);
  return [net as string, bits];
}

/** "10.0.0.1:8080" → "10.0.0.1"; "[::1]:443" → "::1". */
function hostOf(address: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) return bracketed[1] as string;
  return isIP(address) ? address : address.replace(/:\d+$/, '');
}
