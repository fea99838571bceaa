/**
 * Every Kubernetes API call the credentials Job makes (`k8s-secret.ts`), declared once: the code
 * calls only these, and test/manifests/rbac.test.ts proves the Job's Role
 * (db/k8s/200-credentials-role.yaml) grants exactly these, on exactly this Secret, so code and
 * RBAC cannot drift. No `create`: RBAC cannot limit `create` to a name, so the Secret is committed
 * empty (db/k8s/300-postgres-secret.yaml) and the Job only reads and fills that one.
 */
export const CREDENTIALS_SECRET = 'pingpong-postgres';

export const KUBE_ACCESS = [
  { apiGroup: '', resource: 'secrets', verbs: ['get', 'patch'], resourceNames: [CREDENTIALS_SECRET] },
] as const;
