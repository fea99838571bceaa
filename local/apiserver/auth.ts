/**
 * Bearer-token authentication: one random token for the admin and one per ServiceAccount, minted at
 * start and never logged. Tokens are kept only as SHA-256 digests, so a lookup takes the same time
 * whatever the guess and a dump of this object holds no usable token.
 */
import { createHash, randomBytes } from 'node:crypto';
import { MASTERS_GROUP, serviceAccountUser, type UserInfo } from './rbac.js';

/** The admin's identity: in `system:masters`, as a cluster's admin kubeconfig is. */
export const ADMIN_USER: UserInfo = { name: 'pingpong-admin', groups: [MASTERS_GROUP, 'system:authenticated'] };

const digest = (token: string) => createHash('sha256').update(token).digest('hex');
const mint = () => randomBytes(32).toString('base64url');

/** The tokens this server accepts. */
export class TokenAuthenticator {
  private readonly users = new Map<string, UserInfo>();
  private readonly saTokens = new Map<string, string>();
  /** The admin's token, for the admin kubeconfig. */
  readonly adminToken = mint();

  constructor() {
    this.users.set(digest(this.adminToken), ADMIN_USER);
  }

  /** The token of a ServiceAccount, minted on first use and the same for the server's life. */
  serviceAccountToken(namespace: string, name: string): string {
    const key = `${namespace}/${name}`;
    let token = this.saTokens.get(key);
    if (!token) {
      token = mint();
      this.saTokens.set(key, token);
      this.users.set(digest(token), serviceAccountUser(namespace, name));
    }
    return token;
  }

  /**
   * The user of an `Authorization` header: a user, `null` when no credentials were sent (anonymous),
   * or `undefined` when they are wrong (always 401, as Kubernetes answers a bad token).
   */
  authenticate(header: string | undefined): UserInfo | null | undefined {
    if (!header) return null;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) return undefined;
    return this.users.get(digest(m[1]!));
  }
}
