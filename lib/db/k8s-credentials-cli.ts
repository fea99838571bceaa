/**
 * `node dist/lib/db/k8s-credentials-cli.js`: the credentials Job (db/k8s/400-credentials-job.yaml).
 * Fills the keys the `pingpong-postgres` Secret lacks with random passwords (node:crypto) and the
 * URLs made from them, and changes nothing that is there, so it runs on every install and only
 * the first one writes. Logs key names, never values. Exits 1 on failure, and the Job retries.
 */
import { createLogger } from '../log.js';
import { currentNamespace, loadKubeConfig } from '../kube/client.js';
import { CREDENTIALS_SECRET } from './k8s-access.js';
import { ensureCredentials, loadCredentialsTarget } from './k8s-credentials.js';
import { kubeCredentialsStore } from './k8s-secret.js';

const log = createLogger('credentials');

try {
  const kc = loadKubeConfig();
  const namespace = currentNamespace(kc, 'pingpong');
  const target = loadCredentialsTarget(process.env, namespace);
  const { outcome, added } = await ensureCredentials(kubeCredentialsStore(kc, namespace), target);
  const secret = `${namespace}/${CREDENTIALS_SECRET}`;
  if (outcome === 'filled') log.info({ secret, added }, 'credentials generated');
  else log.info({ secret }, 'credentials already complete, nothing changed');
} catch (e) {
  log.error({ err: e instanceof Error ? e.message : String(e) }, 'credentials failed');
  process.exitCode = 1;
}
