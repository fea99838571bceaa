/**
 * A level-based reconcile loop over some stores: `sync` runs once now and once after any burst of
 * changes to any of them (coalesced to one run per tick, so its own status writes settle it).
 */
import type { ObjectStore } from '../apiserver/index.js';

export function watchAll(stores: readonly ObjectStore[], sync: () => void): () => void {
  let scheduled = false;
  const kick = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      sync();
    });
  };
  const watches = stores.map((s) => s.watch(s.counter.current() || undefined, kick));
  sync();
  return () => { for (const w of watches) w.stop(); };
}
