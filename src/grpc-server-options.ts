// Options of the gRPC server (grpc-js): message size, keepalive and stream limits, set explicitly so
// that what residency-gate accepts does not depend on a library default. docs/security-testing.md
// says why each value, and what grpc-js does not offer (ping strikes).
import type { ServerOptions } from '@grpc/grpc-js';

/** The largest message accepted: a CheckRequest or one ext_proc body chunk. Larger: RESOURCE_EXHAUSTED. */
export const MAX_RECEIVE_MESSAGE_BYTES = 4 * 1024 * 1024;

/** Streams one HTTP/2 connection may hold open; Envoy opens another connection beyond it. */
export const MAX_CONCURRENT_STREAMS = 10_000;

export const GRPC_SERVER_OPTIONS: ServerOptions = {
  // grpc-js's default too (4 MiB): Envoy sends at most 60 KiB of request headers by default and
  // body chunks bounded by its buffer limits (1 MiB per connection by default); anything larger is
  // not Envoy, or is misconfigured, and is refused before it is decoded.
  'grpc.max_receive_message_length': MAX_RECEIVE_MESSAGE_BYTES,
  // Bounds one peer's streams (a stuck or hostile client opening streams without end).
  'grpc.max_concurrent_streams': MAX_CONCURRENT_STREAMS,
  // Ping Envoy after 60 s without activity, drop the connection if no answer within 20 s: a peer
  // that vanished (host down, network partition) does not hold streams and their state forever.
  'grpc.keepalive_time_ms': 60_000,
  'grpc.keepalive_timeout_ms': 20_000,
};
