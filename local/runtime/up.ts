import path from 'node:path';
import { mkdir, rm } from 'node:fs/promises';
import { writePrivateFile } from '../../lib/fs/private-file.js';
import type { Logger } from 'pino';
import { defaultService, loadKustomization, loadFiles, validateAll, type LoadedResource, type ManifestProblem } from '../../lib/manifests/index.js';
import { openDatabase, redact, type OpenDatabase } from '../../lib/db/open.js';
import { compiledFunctions } from '../../lib/process/compiled-functions.js';
import { functionCommand, ROOT } from '../../lib/process/function-command.js';
import { Serving } from '../serving/index.js';
import type { LogSink } from '../serving/pod.js';
import { startGateway, type Gateway } from '../gateway/index.js';
import { LocalBroker } from '../broker/index.js';
import { startPingSources, type PingSources } from '../pingsource/index.js';
import { LocalApiServer } from '../apiserver/index.js';
import type { UpOptions } from './options.js';
import { mergeResources, planResources } from './resources.js';
import { statusView, type RuntimeStatus } from './status-view.js';
import { destinationResolver } from './resolve.js';
import { podEnvFor, envFromResolver } from './pod-env.js';
import { startControl, writeRuntimeInfo, removeRuntimeInfo } from './control.js';
import { lockDataDir } from './lock.js';
import { checkPortsFree, listenOn } from './ports.js';
import { applyObjects, knativeCrds } from './apply.js';
import { knativeWebhook } from './webhook.js';
import { keepSaved, readObjects } from '../apiserver/persist.js';
import { startEventingController } from '../controllers/eventing.js';
import { startPingSourceController } from '../controllers/pingsources.js';
import { startServingController } from '../controllers/serving.js';
import { startSinkBindingController } from '../controllers/sinkbindings.js';
import { startRbacController } from '../controllers/rbac.js';
import { startApiServerSourceController } from '../controllers/apiserversources.js';
import type { RuntimeEvent } from '../types.js';
import type { KubeObject } from '../../lib/kube/object.js';

/** A manifest the runtime refuses to start with: file, resource and field named. */
export class InvalidManifests extends Error {
  constructor(readonly problems: ManifestProblem[]) {
    super(`${problems.length} problem(s) in the manifests:\n` +
      problems.map((p) => `  ${p.file}: ${p.resource}: ${p.field}: ${p.message}`).join('\n'));
    this.name = 'InvalidManifests';
  }
}

/** Ctrl-C while starting: what had started was stopped. */
export class Interrupted extends Error {
  constructor() {
    super('interrupted while starting');
    this.name = 'Interrupted';
  }
}

export interface Running {
  gatewayUrl: string;
  brokerUrl: string;
  apiUrl: string;
  kubeconfig: string;
  db: OpenDatabase;
  status(): RuntimeStatus;
  stop(): Promise<void>;
  /** Kills the pods at once instead of waiting for them to drain (a second Ctrl-C while stopping). */
  hurry(): void;
}


/** Reads the root kustomization plus the user's `-f` files; refuses invalid manifests. */
export async function loadManifests(files: readonly string[]): Promise<LoadedResource[]> {
  const shipped = await loadKustomization(ROOT);
  const extra = files.length ? await loadFiles(files.map((f) => path.resolve(f))) : [];
  const all = mergeResources(shipped, extra);
  const problems = validateAll(all, { local: true });
  if (problems.length) throw new InvalidManifests(problems);
  return all;
}

/**
 * `pingpong up`: the same manifests `kubectl apply -k .` applies, run on this machine — PostgreSQL,
 * a Kubernetes API, the Broker, Knative Serving (pods, activator, autoscaler), the gateway and the
 * PingSources — with a progress line per step. Whatever started is stopped if a later step fails.
 * `podSink` takes the pods' output (default: printed with a `[pod]` prefix).
 */
export async function up(opts: UpOptions, log: Logger, report: (line: string) => void, signal?: AbortSignal, podSink?: LogSink): Promise<Running> {
  // The runtime's plumbing (database setup, listeners, each PingSource send) logs at info: at the
  // default level only its warnings show; LOG_LEVEL=debug shows it all.
  const plumbing = (part: string) => log.child({ part }, log.isLevelEnabled('debug') ? {} : { level: log.levelVal > 40 ? log.level : 'warn' });
  // Every step reports when it is done: that is where a Ctrl-C during start takes effect, so
  // what has started is stopped in order instead of left behind.
  const progress = (line: string) => {
    if (signal?.aborted) throw new Interrupted();
    report(line);
  };
  const stack: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    while (stack.length) {
      try { await stack.pop()!(); } catch (e) { log.error({ err: (e as Error).message }, 'stopping failed'); }
    }
  };
  try {
    const loaded = await loadManifests(opts.files);
    const plan = planResources(loaded);
    const dataDir = path.resolve(opts.dataDir);
    await mkdir(dataDir, { recursive: true });
    const lock = await lockDataDir(dataDir, opts.dataDir, (pid) => progress(`cleared the lock of a pingpong up (pid ${pid}) that was killed`));
    stack.push(() => lock.release());
    await checkPortsFree([['gateway-port', opts.gatewayPort], ['broker-port', opts.brokerPort], ['api-port', opts.apiPort]]);
    progress(`loaded ${loaded.length} resources from kustomization.yaml${opts.files.length ? ` and ${opts.files.join(', ')}` : ''}`);
    for (const s of plan.skipped) progress(`  skipped ${s.resource}: ${s.why}`);

    progress('starting PostgreSQL…');
    const db = await openDatabase({ dataDir: path.join(dataDir, 'postgres'), log: plumbing('postgres'), stopOrphan: true });
    stack.push(() => db.stop());
    // For people and scripts reading the history: the read-only user, never the writer.
    await writePrivateFile(path.join(dataDir, 'reader-url'), db.readerUrl + '\n');
    progress(`PostgreSQL ready (${db.embedded ? 'embedded, ' + path.join(opts.dataDir, 'postgres') : redact(db.adminUrl)}), migrated`);

    const api = new LocalApiServer({ log: plumbing('apiserver'), webhook: knativeWebhook, defaulter: defaultService });
    const apiUrl = await listenOn('api-port', opts.apiPort, () => api.listen(opts.apiPort, '127.0.0.1'));
    stack.push(() => api.close());
    // What kubectl made in earlier runs comes back; then the manifests are applied over it.
    const objectsFile = path.join(dataDir, 'api', 'objects.json');
    if (opts.reset) await rm(objectsFile, { force: true });
    let kept = 0;
    for (const o of await readObjects(objectsFile)) if (api.restore(o)) kept++;
    const { applied, notServed } = applyObjects(api, [...await knativeCrds(), ...loaded.map((l) => l.object as KubeObject)]);
    // Every ServiceAccount in the API, and any a Service names, gets a kubeconfig for its pods.
    const accounts = new Set<string>();
    for (const s of api.objects('serving.knative.dev', 'services')!.list().items) accounts.add(`${s.metadata.namespace ?? 'default'}/${s.spec?.template?.spec?.serviceAccountName ?? 'default'}`);
    for (const o of api.objects('', 'serviceaccounts')!.list().items) accounts.add(`${o.metadata.namespace ?? 'default'}/${o.metadata.name}`);
    const kubeconfigs = await api.writeKubeconfigs({
      dataDir, serverUrl: apiUrl,
      serviceAccounts: [...accounts].map((a) => { const [namespace, name] = a.split('/'); return { namespace: namespace!, name: name! }; }),
    });
    const stopRbac = startRbacController(api);
    stack.push(async () => stopRbac());
    const saver = keepSaved(objectsFile, api.registry, () => api.counter.current());
    stack.push(() => saver.flush());
    progress(`Kubernetes API on ${apiUrl} (kubectl --kubeconfig ${path.join(opts.dataDir, 'kubeconfig')}): ${kept ? `${kept} objects kept from the last run, ` : ''}${applied} applied from the manifests${notServed.length ? ` (not served: ${notServed.join(', ')})` : ''}`);
    const stores = {
      brokers: api.objects('eventing.knative.dev', 'brokers')!,
      triggers: api.objects('eventing.knative.dev', 'triggers')!,
      services: api.objects('serving.knative.dev', 'services')!,
    };
    const pingSourceStore = api.objects('sources.knative.dev', 'pingsources')!;
    const configMapStore = api.objects('', 'configmaps')!;
    const configMaps = () => configMapStore.list().items as KubeObject[];
    // What Serving and the Broker tell becomes Events on the API's objects (with their uids, which
    // kubectl describe matches on).
    const record = (e: RuntimeEvent) => {
      const [apiVersion, store] = e.kind === 'Pod' ? ['v1', api.pods] : e.kind === 'Trigger' ? ['eventing.knative.dev/v1', stores.triggers]
        : ['serving.knative.dev/v1', stores.services];
      const uid = store.get(e.namespace, e.name)?.metadata.uid;
      api.recordEvent({ object: { apiVersion, kind: e.kind, namespace: e.namespace, name: e.name, ...(uid ? { uid } : {}) }, type: e.type, reason: e.reason, message: e.message });
    };

    const resolve = destinationResolver({ gatewayPort: opts.gatewayPort, brokerPort: opts.brokerPort });
    const broker = new LocalBroker({ resolve, log: log.child({ part: 'broker' }), record, duplicate: opts.brokerDuplicate, reorder: opts.brokerReorder });
    await listenOn('broker-port', opts.brokerPort, () => broker.listen(opts.brokerPort, '127.0.0.1'));
    stack.push(() => broker.close());
    const stopEventingController = startEventingController(stores, broker, resolve);
    stack.push(async () => stopEventingController());
    progress(`Broker ingress on http://localhost:${opts.brokerPort}/<namespace>/<broker>`);

    // The pods run the functions as JavaScript, built once per change of the sources.
    const compiling = performance.now();
    const compiled = await compiledFunctions(ROOT);
    progress(`functions ready for the pods as JavaScript (${path.relative(ROOT, compiled)}, ${Math.round(performance.now() - compiling)} ms)`);

    const serving = new Serving({
      stableWindowMs: opts.stableWindowMs,
      log: log.child({ part: 'serving' }),
      record,
      // Every line to the terminal, and to what `kubectl logs` reads.
      logSink: (line, from) => {
        if (from) api.podLogs.append(from.pod, from.text);
        if (podSink) podSink(line, from);
        else process.stdout.write(`${line}\n`);
      },
      cwd: ROOT,
      podCommand: (_svc, container: any) => {
        const target = (container.env ?? []).find((e: any) => e.name === 'FUNCTION_TARGET')?.value;
        if (!target) throw new Error(`container ${container.name ?? ''} has no FUNCTION_TARGET: the local runtime runs this project's functions image only`);
        return functionCommand(target, compiled);
      },
      podEnv: podEnvFor({
        configMaps, db,
        kubeconfigFor: async (ns, sa) => {
          // Never fall back to admin: a pod gets exactly its ServiceAccount's rights, as in a cluster.
          const known = kubeconfigs.serviceAccounts[`${ns}/${sa}`];
          if (known) return known;
          // One created with kubectl since the start gets its kubeconfig now, if it exists.
          if (!api.objects('', 'serviceaccounts')!.get(ns, sa)) throw new Error(`serviceaccount "${sa}" not found in namespace "${ns}"`);
          const made = await api.writeKubeconfigs({ dataDir, serverUrl: apiUrl, serviceAccounts: [{ namespace: ns, name: sa }] });
          kubeconfigs.serviceAccounts[`${ns}/${sa}`] = made.serviceAccounts[`${ns}/${sa}`]!;
          return made.serviceAccounts[`${ns}/${sa}`]!;
        },
      }),
      resolveEnvFrom: envFromResolver({ configMaps, db }),
    });
    serving.on('pod', (e) => {
      api.applyPodEvent(e);
      if (e.type === 'DELETED') api.podLogs.end(e.pod.name);
    });
    api.podRemover = (namespace, name) => serving.deletePod(namespace, name);
    stack.push(() => serving.stop());
    // Before the Service controller, so a bound Service's first revision already has its K_SINK.
    const stopSinkBindings = startSinkBindingController(api.objects('sources.knative.dev', 'sinkbindings')!, stores, resolve);
    stack.push(async () => stopSinkBindings());
    const stopServingController = startServingController(stores.services, serving, {
      configurations: api.objects('serving.knative.dev', 'configurations')!,
      routes: api.objects('serving.knative.dev', 'routes')!,
      revisions: api.objects('serving.knative.dev', 'revisions')!,
    });
    stack.push(async () => stopServingController());
    progress(`Serving ${stores.services.list().items.length} Knative Services (stable window ${opts.stableWindowMs / 1000}s)`);

    const gateway: Gateway = await listenOn('gateway-port', opts.gatewayPort, () => startGateway({ port: opts.gatewayPort, host: '127.0.0.1', serving }));
    stack.push(() => gateway.close());
    progress(`gateway on http://localhost:${opts.gatewayPort}`);

    const pings: PingSources = startPingSources({ sources: [], resolve, log: plumbing('pingsource') });
    stack.push(async () => pings.stop());
    const stopPingController = startPingSourceController(pingSourceStore, stores, pings, resolve);
    stack.push(async () => stopPingController());
    const stopApiServerSources = startApiServerSourceController({
      api, sources: api.objects('sources.knative.dev', 'apiserversources')!, stores, resolve, log: plumbing('apiserversource'),
    });
    stack.push(async () => stopApiServerSources());
    progress(`${pingSourceStore.list().items.length} PingSource(s) scheduled`);

    const revisionStore = api.objects('serving.knative.dev', 'revisions')!;
    const status = (): RuntimeStatus => statusView({
      services: stores.services.list().items, brokers: stores.brokers.list().items, revisions: revisionStore.list().items, pods: api.pods.list().items,
      triggers: stores.triggers.list().items, pingSources: pingSourceStore.list().items,
    }, {
      queued: new Map(serving.services().map((v) => [`${v.namespace}/${v.name}`, v.queued])),
      inFlight: new Map(serving.pods().map((p) => [p.name, p.inFlight])),
      broker: broker.stats(),
    });
    const control = await startControl(status);
    stack.push(() => control.close());
    const gatewayUrl = `http://localhost:${opts.gatewayPort}`;
    const brokerUrl = `http://localhost:${opts.brokerPort}`;
    await writeRuntimeInfo(dataDir, { pid: process.pid, controlUrl: control.url, gatewayUrl, brokerUrl, apiUrl, startedAt: new Date().toISOString() });
    stack.push(() => removeRuntimeInfo(dataDir));

    progress('ready');
    return { gatewayUrl, brokerUrl, apiUrl, kubeconfig: kubeconfigs.admin, db, status, stop: stopAll, hurry: () => serving.hurry() };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
