// Preloaded (`node --import`) into every helper process the demo and the
// benchmarks start. The parent gives each child a pipe as stdin and never
// writes to it; when the parent goes away without stopping its children
// (killed with SIGKILL, crashed), that pipe reaches end-of-file and the child
// stops itself as if sent SIGTERM, so nothing outlives the demo or a
// benchmark. The stream is unref'd: it never keeps a child alive that is
// otherwise done.
let stopping = false;

function stop(): void {
  if (stopping) return;
  stopping = true;
  process.kill(process.pid, 'SIGTERM');
  // A child without a SIGTERM handler has already died; one that hangs in its handler gets this.
  setTimeout(() => process.exit(1), 5_000).unref();
}

const stdin = process.stdin as NodeJS.ReadStream & { unref?: () => void };
stdin.on('end', stop);
stdin.on('close', stop);
stdin.on('error', stop);
stdin.resume();
stdin.unref?.();
