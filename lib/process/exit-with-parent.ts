import { fstatSync } from 'node:fs';

/**
 * Preloaded into locally run function processes: when the process that started this one is gone
 * (killed without a chance to stop its children), exit too, so no orphan keeps a port. Kubernetes
 * gets this from the kubelet; a plain process tree does not, and Node cannot set PR_SET_PDEATHSIG.
 *
 * The parent hands us a pipe as stdin and never writes to it: the kernel closes it when the
 * parent dies, however it dies, and we see its end. (Polling process.ppid proved unreliable:
 * pods of a SIGKILLed `npm start` stayed up for good.) Without such a pipe, nothing is watched.
 */
function exitNow(): void {
  try {
    process.exit(0);
  } finally {
    // process.exit can throw (an exit handler flushing a log into the dead parent's pipe):
    // nobody is left to read us, so go at once.
    process.kill(process.pid, 'SIGKILL');
  }
}

let piped = false;
try {
  const st = fstatSync(0);
  piped = st.isFIFO() || st.isSocket(); // Node's 'pipe' stdio is a socketpair
} catch { /* no stdin at all */ }
if (piped) {
  process.stdin.on('end', exitNow).on('close', exitNow).on('error', exitNow);
  process.stdin.resume();
  // Reading stdin must not be what keeps a process alive that would otherwise end.
  (process.stdin as unknown as { unref?: () => void }).unref?.();
}
