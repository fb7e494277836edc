// The ExternalProcessor/Process handler: one bidi stream per HTTP exchange. Messages are handled
// strictly in order (each answer before the next message is looked at); the stream ends with OK
// only after every message has its answer, and with a gRPC error on anything unexpected, so Envoy
// never continues unprocessed (DESIGN.md §5).
//
// The stream is closed from our side as soon as the exchange is recorded and its last answer
// written. Waiting for Envoy's half-close instead loses a race: Envoy finishes the HTTP exchange
// first and resets the still-open stream, one RST_STREAM per request, and Node's HTTP/2 stack
// (nghttp2's rapid-reset guard: a burst of 1,000, then about 33 a second) answers a sustained
// stream of resets with GOAWAY, failing every Check and exchange then in flight on that connection.
import { status, type ServerDuplexStream } from '@grpc/grpc-js';
import type { ProcessingRequest__Output } from '../envoy/generated/envoy/service/ext_proc/v3/ProcessingRequest.js';
import type { ProcessingResponse } from '../envoy/generated/envoy/service/ext_proc/v3/ProcessingResponse.js';
import type { ExternalProcessorHandlers } from '../envoy/generated/envoy/service/ext_proc/v3/ExternalProcessor.js';
import type { Logger } from '../logging/logger.js';
import { ProtocolError, StreamProcessor, type ProcessorDependencies } from './processor.js';

// Envoy streams body chunks without waiting for answers; stop reading past this many unanswered.
const MAX_IN_FLIGHT = 4;

export interface ExtProcDependencies {
  /** Profiles and networks, read once per stream: a reload never changes an exchange midway. */
  readonly settings: () => Pick<ProcessorDependencies, 'profiles' | 'networks'>;
  readonly report: ProcessorDependencies['report'];
  readonly logger: Logger;
  /** Metrics: each message's type and the ms its answer took (src/metrics). */
  readonly observeMessage?: (type: string | undefined, ms: number) => void;
}

export function createExtProcHandlers(deps: ExtProcDependencies): ExternalProcessorHandlers {
  return {
    Process(call: ServerDuplexStream<ProcessingRequest__Output, ProcessingResponse>) {
      const { profiles, networks } = deps.settings();
      const processor = new StreamProcessor({ profiles, networks, report: deps.report });
      let chain: Promise<void> = Promise.resolve();
      let inFlight = 0;
      let failed = false;
      let ended = false;
      const endOk = (): void => {
        if (ended || failed) return;
        ended = true;
        call.end();
      };

      const fail = (err: unknown): void => {
        if (failed) return;
        failed = true;
        const details = err instanceof ProtocolError ? err.message : 'residency-gate could not process the message';
        if (!(err instanceof ProtocolError)) deps.logger.error({ err }, 'ext_proc stream failed');
        else deps.logger.warn({ details }, 'ext_proc protocol violation');
        void processor.close();
        call.emit('error', { code: err instanceof ProtocolError ? status.FAILED_PRECONDITION : status.INTERNAL, details });
      };

      call.on('data', (message: ProcessingRequest__Output) => {
        if (failed) return;
        if (ended) {
          // Only after the response ended or the exchange was blocked: nothing of it is left to pass.
          deps.logger.warn({ type: message.request }, 'ext_proc message after the exchange was finished; ignored');
          return;
        }
        if (++inFlight >= MAX_IN_FLIGHT) call.pause();
        chain = chain
          .then(async () => {
            if (failed) return;
            const started = performance.now();
            const answer = await processor.handle(message);
            deps.observeMessage?.(message.request, performance.now() - started);
            if (failed || ended) return;
            call.write(answer);
            if (processor.finished) endOk();
          })
          .catch(fail)
          .finally(() => {
            if (--inFlight < MAX_IN_FLIGHT / 2) call.resume();
          });
      });
      call.on('end', () => {
        // Envoy half-closed: answer what is queued, record the exchange, then close with OK.
        chain = chain.then(async () => {
          if (failed || ended) return;
          await processor.close();
          endOk();
        });
      });
      call.on('cancelled', () => {
        failed = true;
        void processor.close();
      });
      call.on('error', () => {
        void processor.close();
      });
    },
  };
}
