/**
 * The PingPongTable's status after a reconcile, pure: what scale-workers set, on which revision,
 * for which generation, with Knative-style conditions (Ready and a reason). Unchanged facts keep
 * their lastTransitionTime, so writing the same status twice is a no-op.
 */
export interface Condition { type: string; status: 'True' | 'False' | 'Unknown'; reason: string; message: string; lastTransitionTime: string }
export interface TableStatus { observedGeneration: number; workers: number; revision: string; conditions: Condition[] }

export function tableStatus(old: Partial<TableStatus> | undefined, next: { generation: number; workers: number; revision: string; service: string }, now: Date): TableStatus {
  const ready = next.revision !== '';
  const condition: Omit<Condition, 'lastTransitionTime'> = ready
    ? { type: 'Ready', status: 'True', reason: 'WorkersSet', message: `${next.service} runs ${next.workers} worker(s) on ${next.revision}` }
    : { type: 'Ready', status: 'Unknown', reason: 'RevisionPending', message: `${next.service} is pinned at ${next.workers} worker(s); its revision is not created yet` };
  const was = old?.conditions?.find((c) => c.type === 'Ready');
  const same = was && was.status === condition.status && was.reason === condition.reason && was.message === condition.message;
  const lastTransitionTime = same ? was.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { observedGeneration: next.generation, workers: next.workers, revision: next.revision, conditions: [{ ...condition, lastTransitionTime }] };
}
