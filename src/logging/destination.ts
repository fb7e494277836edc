// Where serve's log lines go: stdout, written in batches, off the event loop. A synchronous
// write(2) per line held the event loop for about 100 µs per Check at 800 Checks/s on the
// benchmark machine (npm run bench:profile): time every other request waited. Lines are held
// until 2 KiB have gathered or FLUSH_MS have passed, so a line is out within FLUSH_MS; pino writes
// what is held when the process exits. The audit trail, not this log, is the durable record.
//
// Each write is whole lines and at most PIPE_BUF (4 KiB): the workers of `serve --workers N` share
// one stdout, and only writes that small are atomic on a pipe, so lines of different workers never
// interleave mid-line.
import { pino, type DestinationStream } from 'pino';

const FLUSH_MS = 50;
const PIPE_BUF = 4096;

export function stdoutDestination(): DestinationStream {
  const stream = pino.destination({ dest: 1, sync: false, minLength: PIPE_BUF / 2, maxWrite: PIPE_BUF });
  let pending = false;
  const write = stream.write.bind(stream);
  stream.write = (line: string): boolean => {
    pending = true;
    return write(line);
  };
  // flush() with nothing held would still write an empty string: only flush after a line.
  setInterval(() => {
    if (!pending) return;
    pending = false;
    stream.flush();
  }, FLUSH_MS).unref();
  return stream;
}
