/**
 * Writes the kubeconfigs through which clients reach the local API server: the admin's (for kubectl
 * and the CLI) and one per ServiceAccount (handed to that Service's pods as KUBECONFIG), so the
 * same `kc.loadFromDefault()` code runs here as in a pod. Files are 0600: they hold tokens.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { writePrivateFile } from '../../lib/fs/private-file.js';

/**
 * One kubeconfig to write: the server, who it authenticates as, the namespace it defaults to.
 * With `certificateAuthority` (PEM) the server is trusted by that CA (an https:// server);
 * without, `insecure-skip-tls-verify` is set.
 */
export interface KubeconfigUser { server: string; certificateAuthority?: string; user: string; token: string; namespace: string }

/** Where the kubeconfigs were written. */
export interface KubeconfigPaths {
  /** `<dataDir>/kubeconfig`: the admin's. */
  admin: string;
  /** `<namespace>/<serviceAccount>` → `<dataDir>/kubeconfigs/<namespace>-<serviceAccount>.yaml`. */
  serviceAccounts: Record<string, string>;
}

/** The cluster and context name in every kubeconfig written here. */
export const CONTEXT_NAME = 'pingpong-local';

/**
 * A kubeconfig for one user of the server. Over plain HTTP it still says `insecure-skip-tls-verify`:
 * @kubernetes/client-node 1.x refuses a cluster with neither CA data nor that flag.
 */
export function kubeconfigYaml(u: KubeconfigUser): string {
  const cluster = u.certificateAuthority
    ? { server: u.server, 'certificate-authority-data': Buffer.from(u.certificateAuthority).toString('base64') }
    : { server: u.server, 'insecure-skip-tls-verify': true };
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: CONTEXT_NAME, cluster }],
    users: [{ name: u.user, user: { token: u.token } }],
    contexts: [{ name: CONTEXT_NAME, context: { cluster: CONTEXT_NAME, user: u.user, namespace: u.namespace } }],
    'current-context': CONTEXT_NAME,
    preferences: {},
  });
}

/** Writes the admin kubeconfig and one per ServiceAccount under `dataDir`. */
export async function writeKubeconfigFiles(opts: {
  dataDir: string;
  admin: KubeconfigUser;
  serviceAccounts: readonly (KubeconfigUser & { serviceAccount: string })[];
}): Promise<KubeconfigPaths> {
  await mkdir(path.join(opts.dataDir, 'kubeconfigs'), { recursive: true, mode: 0o700 });
  const admin = path.join(opts.dataDir, 'kubeconfig');
  await writePrivateFile(admin, kubeconfigYaml(opts.admin));
  const serviceAccounts: Record<string, string> = {};
  for (const sa of opts.serviceAccounts) {
    const file = path.join(opts.dataDir, 'kubeconfigs', `${sa.namespace}-${sa.serviceAccount}.yaml`);
    await writePrivateFile(file, kubeconfigYaml(sa));
    serviceAccounts[`${sa.namespace}/${sa.serviceAccount}`] = file;
  }
  return { admin, serviceAccounts };
}
