// TLS on the gRPC port. grpc-js takes certificates from a provider (so a renewal is served
// without a restart) and checks the client certificate against the CA during the handshake. It
// has no hook for a client-name allow-list, so that check runs on every call, in an interceptor
// that answers UNAUTHENTICATED before any handler sees the call (fail closed: health and
// reflection included).
import { experimental, ServerCredentials, ServerInterceptingCall, status, type ServerInterceptor } from '@grpc/grpc-js';
import type { Logger } from '../logging/logger.js';
import { checkPeer, describePeer, type PeerRejection } from './peer.js';
import type { CertificateWatcher } from './watcher.js';

export function grpcServerCredentials(watcher: CertificateWatcher | undefined, mutual: boolean): ServerCredentials {
  if (watcher === undefined) return ServerCredentials.createInsecure();
  const provider = watcher.certificateProvider();
  // The function's parameter names are swapped in grpc-js 1.14's typings; the order that works is
  // (identity, CA, require a client certificate).
  return experimental.createCertificateProviderServerCredentials(provider, mutual ? provider : null, mutual);
}

export function clientNameInterceptor(allowed: readonly string[], logger: Logger, onReject?: (reason: PeerRejection) => void): ServerInterceptor {
  return (descriptor, call) =>
    new ServerInterceptingCall(call, {
      start(next) {
        const cert = call.getAuthContext()?.sslPeerCertificate;
        const rejection = checkPeer(cert, allowed);
        if (rejection === undefined) {
          next();
          return;
        }
        onReject?.(rejection);
        logger.warn({ method: descriptor.path, peer: describePeer(cert), reason: rejection }, 'client certificate not allowed; call refused');
        next({
          onReceiveMetadata: () => call.sendStatus({ code: status.UNAUTHENTICATED, details: 'client certificate not allowed' }),
          onReceiveMessage: () => undefined,
          onReceiveHalfClose: () => undefined,
        });
      },
    });
}
