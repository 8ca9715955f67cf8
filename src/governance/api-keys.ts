import {
  ApiKeyExpiredError,
  ConflictError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from '../model/revsync-error.ts';
import type { ApiKeyRecord } from '../store/api-key-repository.ts';
import type { Store } from '../store/store.ts';
import { checkScopes } from './api-key-scopes.ts';
import { ApiKeySecret } from './api-key-secret.ts';
import { isRole, type Role } from './roles.ts';

/** Who is calling: the key that authenticated the request. Its `name` is the audit actor. */
export interface Principal {
  keyId: string;
  name: string;
  role: Role;
  /** What the key is limited to on top of its role; null: the role alone decides. */
  scopes: readonly string[] | null;
}

/** A key given in configuration (the demo, a deployment's first admin); kept in memory only. */
export interface BootstrapKey {
  name: string;
  role: Role;
  /** The full key, `rsk_<id>_<secret>`. */
  key: string;
  /** Limits the key below its role (see `api-key-scopes.ts`). */
  scopes?: readonly string[];
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
  /** After this the key is refused (`api_key_expired`); null: never. */
  expiresAt: number | null;
  /** What the key is limited to on top of its role; null: the role alone decides. */
  scopes: string[] | null;
  /** When the current secret was issued by `rotate`; null: never rotated. */
  rotatedAt: number | null;
  /** Until when the secret the last rotation replaced is still accepted; null: no rotation. */
  previousSecretExpiresAt: number | null;
  /** Configured at start-up (not stored); cannot be revoked through the API. */
  bootstrap: boolean;
}

/** What a new key is: its name, role, and optionally scopes and an expiry. */
export interface NewApiKeyRequest {
  name: string;
  role: Role;
  /** Limits the key below its role, e.g. `['usage:write']`. */
  scopes?: readonly string[];
  /** When the key stops working (ms since the epoch); absent: never. */
  expiresAt?: number;
}

/** A rotation's settings. */
export interface RotateOptions {
  /** How long the replaced secret keeps working (default {@link DEFAULT_ROTATION_GRACE_MS}; 0: not at all). */
  graceMs?: number;
  /**
   * The key's new expiry. Absent: a key that expires gets the lifetime it had (from its
   * creation or last rotation to its expiry) again from now; a key that never expires stays so.
   */
  expiresAt?: number | null;
}

/** How long a rotated-out secret keeps working unless told otherwise: 24 hours. */
export const DEFAULT_ROTATION_GRACE_MS = 24 * 3_600_000;

export interface ApiKeysOptions {
  bootstrapKeys?: readonly BootstrapKey[];
  /** The API's scope areas (route tags); scopes naming another area are refused. */
  scopeAreas?: readonly string[];
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
  readonly #scopeAreas: readonly string[] | undefined;

  constructor(store: Store, options: ApiKeysOptions = {}) {
    this.#store = store;
    this.#scopeAreas = options.scopeAreas;
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
      const scopes = b.scopes ? checkScopes(b.scopes, this.#scopeAreas) : null;
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
          expiresAt: null,
          scopes,
          rotatedAt: null,
          previousSecretExpiresAt: null,
          bootstrap: true,
        },
      });
    }
  }

  /** Creates a key; the returned `key` is the only time it is ever shown. */
  async create(
    request: NewApiKeyRequest,
    { actor }: { actor: string },
  ): Promise<{ key: string; info: ApiKeyInfo }> {
    checkName(request.name);
    if (!isRole(request.role)) throw new ValidationError(`unknown role "${String(request.role)}"`);
    const scopes = request.scopes ? checkScopes(request.scopes, this.#scopeAreas) : null;
    const at = this.#now();
    if (request.expiresAt !== undefined) checkExpiry(request.expiresAt, at);
    if ([...this.#bootstrap.values()].some((b) => b.info.name === request.name)) {
      throw new ConflictError(`an API key named "${request.name}" already exists`);
    }
    const generated = ApiKeySecret.generate();
    const expiresAt = request.expiresAt ?? null;
    await this.#store.transaction(async (trx) => {
      await this.#store.apiKeys.insert(trx, {
        id: generated.id,
        name: request.name,
        role: request.role,
        secretHash: ApiKeySecret.hash(generated.secret),
        createdAt: at,
        createdBy: actor,
        expiresAt,
        scopes,
      });
      await this.#store.audit.record(trx, {
        at,
        actor,
        action: 'api_key.create',
        targetType: 'api_key',
        targetId: generated.id,
        details: {
          name: request.name,
          role: request.role,
          ...(scopes && { scopes }),
          ...(expiresAt !== null && { expiresAt }),
        },
      });
    });
    const record = await this.#store.apiKeys.get(this.#store.db, generated.id);
    return { key: generated.key, info: toInfo(record!) };
  }

  /**
   * Checks a presented key and returns who it belongs to. Malformed, unknown, wrong and revoked
   * keys all throw the same {@link UnauthorizedError}, so a caller learns nothing about which.
   * Only a caller who holds a real secret of the key learns more: an expired key, or a secret
   * replaced by a rotation whose grace period has ended, throws {@link ApiKeyExpiredError}.
   */
  async authenticate(presented: string): Promise<Principal> {
    const refused = new UnauthorizedError('the API key is not valid');
    const parsed = ApiKeySecret.parse(presented);
    if (!parsed) throw refused;
    const bootstrap = this.#bootstrap.get(parsed.id);
    if (bootstrap) {
      if (!ApiKeySecret.matches(parsed.secret, bootstrap.hash)) throw refused;
      const { info } = bootstrap;
      return { keyId: parsed.id, name: info.name, role: info.role, scopes: info.scopes };
    }
    const record = await this.#store.apiKeys.get(this.#store.db, parsed.id);
    if (!record || record.revokedAt !== null || !isRole(record.role)) throw refused;
    const now = this.#now();
    if (!ApiKeySecret.matches(parsed.secret, record.secretHash)) {
      const previous = record.previousSecretHash;
      if (previous === null || !ApiKeySecret.matches(parsed.secret, previous)) throw refused;
      if (record.previousSecretExpiresAt === null || now >= record.previousSecretExpiresAt) {
        throw new ApiKeyExpiredError(
          `this secret of API key ${record.id} ("${record.name}") was replaced by a rotation; its grace period ended ${iso(record.previousSecretExpiresAt ?? record.rotatedAt)}: use the new key`,
        );
      }
    }
    if (record.expiresAt !== null && now >= record.expiresAt) {
      throw new ApiKeyExpiredError(
        `API key ${record.id} ("${record.name}") expired ${iso(record.expiresAt)}: rotate it (revsync keys rotate ${record.id}) or create a new one`,
      );
    }
    this.#touch(record.id);
    return { keyId: record.id, name: record.name, role: record.role, scopes: record.scopes };
  }

  /**
   * Issues a new secret for a stored key: same id, name, role and scopes (so audit entries keep
   * one actor), new `rsk_<id>_<secret>` returned once. The replaced secret keeps working for
   * the grace period, then is refused with `api_key_expired`; a second rotation inside the
   * grace period ends the first replaced secret at once (only one previous secret is kept).
   */
  async rotate(
    id: string,
    options: RotateOptions,
    { actor }: { actor: string },
  ): Promise<{ key: string; info: ApiKeyInfo }> {
    if (this.#bootstrap.has(id)) {
      throw new ConflictError(
        `API key ${id} is configured at start-up; change it in the configuration instead`,
      );
    }
    const graceMs = options.graceMs ?? DEFAULT_ROTATION_GRACE_MS;
    if (!Number.isSafeInteger(graceMs) || graceMs < 0) {
      throw new ValidationError('grace: a whole number of milliseconds, 0 or more');
    }
    const at = this.#now();
    if (options.expiresAt !== undefined && options.expiresAt !== null) {
      checkExpiry(options.expiresAt, at);
    }
    const secret = randomSecret();
    await this.#store.transaction(async (trx) => {
      const record = await this.#store.apiKeys.get(trx, id);
      if (!record) throw new NotFoundError(`no API key ${id}`);
      if (record.revokedAt !== null) throw new ConflictError(`API key ${id} is revoked`);
      const expiresAt =
        options.expiresAt !== undefined
          ? options.expiresAt
          : record.expiresAt === null
            ? null
            : at + (record.expiresAt - (record.rotatedAt ?? record.createdAt));
      const previousSecretExpiresAt = at + graceMs;
      if (
        !(await this.#store.apiKeys.rotate(trx, id, {
          secretHash: ApiKeySecret.hash(secret),
          at,
          previousSecretExpiresAt,
          expiresAt,
        }))
      ) {
        throw new ConflictError(`API key ${id} changed while it was rotated; try again`);
      }
      await this.#store.audit.record(trx, {
        at,
        actor,
        action: 'api_key.rotate',
        targetType: 'api_key',
        targetId: id,
        details: {
          name: record.name,
          role: record.role,
          graceMs,
          previousSecretExpiresAt,
          ...(expiresAt !== null && { expiresAt }),
        },
      });
    });
    const record = await this.#store.apiKeys.get(this.#store.db, id);
    return { key: `rsk_${id}_${secret}`, info: toInfo(record!) };
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

/** A new 256-bit secret in the form {@link ApiKeySecret.generate} makes. */
function randomSecret(): string {
  return ApiKeySecret.generate().secret;
}

function checkExpiry(expiresAt: number, now: number): void {
  if (!Number.isSafeInteger(expiresAt) || expiresAt <= now) {
    throw new ValidationError('expiresAt: must be in the future');
  }
}

function iso(ms: number | null): string {
  return ms === null ? 'earlier' : `at ${new Date(ms).toISOString()}`;
}

const DURATION = /^(\d{1,9})(ms|s|m|h|d)?$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * Parses a key lifetime or grace period: `90d`, `24h`, `30m`, `45s`, `0` → milliseconds;
 * undefined when malformed. A bare number is milliseconds.
 */
export function parseKeyDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[(match[2] ?? 'ms') as keyof typeof UNIT_MS];
  return Number.isSafeInteger(ms) ? ms : undefined;
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
    expiresAt: record.expiresAt,
    scopes: record.scopes,
    rotatedAt: record.rotatedAt,
    previousSecretExpiresAt: record.previousSecretExpiresAt,
    bootstrap: false,
  };
}
