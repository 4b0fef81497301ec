// Preloaded (node --import) into every gateway a test spawns: when the test process dies without
// cleaning up (tap timeout, SIGKILL), the child is re-parented and stops itself instead of lingering.
import process from 'node:process';
import { setInterval } from 'node:timers';

const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
}, 500).unref();
