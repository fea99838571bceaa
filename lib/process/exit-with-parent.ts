/**
 * Preloaded into locally run function processes: when the process that started this one is gone
 * (killed without a chance to stop its children), exit too, so no orphan keeps a port. Kubernetes
 * gets this from the kubelet; a plain process tree does not, and Node cannot set PR_SET_PDEATHSIG.
 */
const parent = process.ppid;
setInterval(() => {
  if (process.ppid === parent) return;
  try {
    process.exit(0);
  } finally {
    // process.exit can throw: an exit handler flushing a log to the dead parent's pipe fails
    // (seen: orphans left running for good). Nobody is left to read us, so go at once.
    process.kill(process.pid, 'SIGKILL');
  }
}, 1000).unref();
