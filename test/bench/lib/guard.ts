// Preloaded (`node --import`) into every helper process the benchmark starts
// (API server, emulators; not the operator, which runs as shipped). The
// driver gives each child a pipe as stdin and never writes to it: when the
// driver goes away without stopping its children, the pipe reaches EOF and
// the child stops itself, so nothing outlives a benchmark that crashed.
let stopping = false;

function stop(): void {
  if (stopping) return;
  stopping = true;
  process.kill(process.pid, 'SIGTERM');
  setTimeout(() => process.exit(1), 5_000).unref();
}

const stdin = process.stdin as NodeJS.ReadStream & { unref?: () => void };
stdin.on('end', stop);
stdin.on('close', stop);
stdin.on('error', stop);
stdin.resume();
stdin.unref?.();
