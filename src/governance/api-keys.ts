import {
  ConflictError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from '../model/revsync-error.ts';
import type { ApiKeyRecord } from '../store/api-key-repository.ts';
import type { Store } from '../store/store.ts';
import { ApiKeySecret } from './api-key-secret.ts';
import { isRole, type Role } from './roles.ts';

/** Who is calling: the key that authenticated the request. Its `name` is the audit actor. */
export interface Principal {
  keyId: string;
  name: string;
  role: Role;
}

/** A key given in configuration (the demo, a deployment's first admin); kept in memory only. */
export interface BootstrapKey {
  name: string;
  role: Role;
  /** The full key, `rsk_<id>_<secret>`. */
  key: string;
}

/** An API key as the API shows it: never the key or its hash. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  role: Role;
  createdAt: number;
  createdBy: string;
  lastUsedAt: number | null;
  revokedAt: number | null;
  revokedBy: string | null;
  /** Configured at start-up (not stored); cannot be revoked through the API. */
  bootstrap: boolean;
}

export interface ApiKeysOptions {
  bootstrapKeys?: readonly BootstrapKey[];
  now?: () => number;
  /** How often a key's `lastUsedAt` is written at most (default 60 s). */
  touchIntervalMs?: number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}$/;

/**
 * API keys: creation (the key is returned once; only the SHA-256 of its secret is stored),
 * authentication of a presented key, listing and revocation. Creation and revocation are audited
 * in the same transaction.
 */
export class ApiKeys {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #bootstrap = new Map<string, { info: ApiKeyInfo; hash: string }>();
  readonly #touchIntervalMs: number;
  readonly #touched = new Map<string, number>();

  constructor(store: Store, options: ApiKeysOptions = {}) {
    this.#store = store;
    this.#now = options.now ?? Date.now;
    this.#touchIntervalMs = options.touchIntervalMs ?? 60_000;
    const names = new Set<string>();
    for (const b of options.bootstrapKeys ?? []) {
      const parsed = ApiKeySecret.parse(b.key);
      if (!parsed) {
        throw new ValidationError(
          `bootstrap key "${b.name}" is not of the form rsk_<id>_<secret> (id: 4-32 lowercase letters or digits, secret: 16-128 of A-Z a-z 0-9 _ -)`,
        );
      }
      if (!isRole(b.role)) throw new ValidationError(`bootstrap key "${b.name}": unknown role`);
      checkName(b.name);
      if (this.#bootstrap.has(parsed.id) || names.has(b.name)) {
        throw new ValidationError(`bootstrap key "${b.name}" repeats an id or a name`);
      }
      names.add(b.name);
      this.#bootstrap.set(parsed.id, {
        hash: ApiKeySecret.hash(parsed.secret),
        info: {
          id: parsed.id,
          name: b.name,
          role: b.role,
          createdAt: 0,
          createdBy: 'configuration',
          lastUsedAt: null,
          revokedAt: null,
          revokedBy: null,
          bootstrap: true,
        },
      });
    }
  }

  /** Creates a key; the returned `key` is the only time it is ever shown. */
  async create(
    request: { name: string; role: Role },
    { actor }: { actor: string },
  ): Promise<{ key: string; info: ApiKeyInfo }> {
    checkName(request.name);
    if (!isRole(request.role)) throw new ValidationError(`unknown role "${String(request.role)}"`);
    if ([...this.#bootstrap.values()].some((b) => b.info.name === request.name)) {
      throw new ConflictError(`an API key named "${request.name}" already exists`);
    }
    const generated = ApiKeySecret.generate();
    const at = this.#now();
    await this.#store.transaction(async (trx) => {
      await this.#store.apiKeys.insert(trx, {
        id: generated.id,
        name: request.name,
        role: request.role,
        secretHash: ApiKeySecret.hash(generated.secret),
        createdAt: at,
        createdBy: actor,
      });
      await this.#store.audit.record(trx, {
        at,
        actor,
        action: 'api_key.create',
        targetType: 'api_key',
        targetId: generated.id,
        details: { name: request.name, role: request.role },
      });
    });
    const record = await this.#store.apiKeys.get(this.#store.db, generated.id);
    return { key: generated.key, info: toInfo(record!) };
  }

  /**
   * Checks a presented key and returns who it belongs to. Malformed, unknown, wrong and revoked
   * keys all throw the same {@link UnauthorizedError}, so a caller learns nothing about which.
   */
  async authenticate(presented: string): Promise<Principal> {
    const refused = new UnauthorizedError('the API key is not valid');
    const parsed = ApiKeySecret.parse(presented);
    if (!parsed) throw refused;
    const bootstrap = this.#bootstrap.get(parsed.id);
    if (bootstrap) {
      if (!ApiKeySecret.matches(parsed.secret, bootstrap.hash)) throw refused;
      return { keyId: parsed.id, name: bootstrap.info.name, role: bootstrap.info.role };
    }
    const record = await this.#store.apiKeys.get(this.#store.db, parsed.id);
    if (!record || record.revokedAt !== null || !isRole(record.role)) throw refused;
    if (!ApiKeySecret.matches(parsed.secret, record.secretHash)) throw refused;
    this.#touch(record.id);
    return { keyId: record.id, name: record.name, role: record.role };
  }

  /** Every key (configured ones first); revoked keys only when asked. */
  async list(options: { includeRevoked?: boolean } = {}): Promise<ApiKeyInfo[]> {
    const stored = await this.#store.apiKeys.list(this.#store.db, options);
    return [...[...this.#bootstrap.values()].map((b) => b.info), ...stored.map(toInfo)];
  }

  /** Revokes a stored key at once; requests with it are refused from now on. */
  async revoke(id: string, { actor }: { actor: string }): Promise<ApiKeyInfo> {
    if (this.#bootstrap.has(id)) {
      throw new ConflictError(
        `API key ${id} is configured at start-up; remove it from the configuration instead`,
      );
    }
    const at = this.#now();
    await this.#store.transaction(async (trx) => {
      const record = await this.#store.apiKeys.get(trx, id);
      if (!record) throw new NotFoundError(`no API key ${id}`);
      if (!(await this.#store.apiKeys.revoke(trx, id, { at, actor }))) {
        throw new ConflictError(`API key ${id} is already revoked`);
      }
      await this.#store.audit.record(trx, {
        at,
        actor,
        action: 'api_key.revoke',
        targetType: 'api_key',
        targetId: id,
        details: { name: record.name, role: record.role },
      });
    });
    return toInfo((await this.#store.apiKeys.get(this.#store.db, id))!);
  }

  /** Notes the key's last use, at most once per interval (a hint for key hygiene, not an audit). */
  #touch(id: string): void {
    const at = this.#now();
    const last = this.#touched.get(id);
    if (last !== undefined && at - last < this.#touchIntervalMs) return;
    this.#touched.set(id, at);
    this.#store
      .grouped((trx) => this.#store.apiKeys.touch(trx, id, at))
      .catch(() => {
        // Losing a last-used hint is harmless; the next use writes it again.
        this.#touched.delete(id);
      });
  }
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new ValidationError(
      'a key name is 1-64 characters: letters, digits, space, . _ @ - (starting with a letter or digit)',
    );
  }
}

function toInfo(record: ApiKeyRecord): ApiKeyInfo {
  return {
    id: record.id,
    name: record.name,
    role: isRole(record.role) ? record.role : 'viewer',
    createdAt: record.createdAt,
    createdBy: record.createdBy,
    lastUsedAt: record.lastUsedAt,
    revokedAt: record.revokedAt,
    revokedBy: record.revokedBy,
    bootstrap: false,
  };
}
