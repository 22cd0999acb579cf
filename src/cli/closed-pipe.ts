/**
 * `mtafleet audit --help | head`: the reader closes the pipe early and the next write fails with
 * EPIPE, which Node throws as an unhandled 'error' event (a stack trace). A closed output ends
 * quietly instead: later writes are dropped and the command finishes its work (a `run` must not
 * stop half-way through a change because its reader went away) and exits with its own code.
 */
export function dropWritesOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    stream.write = (() => true) as typeof stream.write;
  });
}
