import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ValidationError, type ErrorDetail } from '../model/revsync-error.ts';
import { ROLES, type Role } from '../connectors/definition.ts';
import { connectorFor, connectorsFor, DEFAULT_STACK } from '../connectors/registry.ts';
import {
  commonConnectionSettings,
  isEnvRef,
  isFileRef,
  type Resolved,
} from '../connectors/settings.ts';
import type { CircuitOptions } from '../gateway/circuit-breaker.ts';
import type { GovernorLimits } from '../gateway/governor.ts';
import {
  DEFAULT_CHECKPOINT_EVERY,
  type CheckpointEvery,
} from '../governance/audit-checkpointer.ts';
import { parseAuditSigningKey, type AuditSigningKey } from '../governance/audit-signing.ts';
import { configSchema, FLOW_NAMES, FLOW_ROLES, type FlowName } from './define-config.ts';

export type { Resolved } from '../connectors/settings.ts';

/** One connection as the connectors get it: `env()` resolved, common settings included. */
export interface ResolvedConnection {
  system: string;
  limits?: GovernorLimits;
  circuit?: CircuitOptions;
  pollIntervalMs?: number;
  catchUpPollIntervalMs?: number;
  [setting: string]: unknown;
}

/** The `audit` section after loading: the key read and checked, defaults applied. */
export interface ResolvedAuditConfig {
  key: AuditSigningKey;
  checkpointEvery: CheckpointEvery;
  checkpointDir?: string;
}

/** A validated configuration with environment values filled in and defaults applied. */
export type ResolvedConfig = Resolved<
  Omit<ReturnType<typeof configSchema.parse>, 'connections' | 'ownership' | 'audit'>
> & {
  /** Signed audit checkpoints, when configured. */
  audit?: ResolvedAuditConfig;
  /** The connection of each configured role. */
  connections: Partial<Record<Role, ResolvedConnection>>;
  /** entity type → field → owning role. */
  ownership?: Record<string, Record<string, Role>>;
  /** Enabled flows (all unless switched off). */
  enabledFlows: Set<FlowName>;
  /** Where it was loaded from. */
  source: string;
};

/** The configuration is wrong; `details` names every mistake with its path. */
export class ConfigError extends ValidationError {
  constructor(source: string, details: ErrorDetail[]) {
    super(`${source} has ${details.length} problem${details.length === 1 ? '' : 's'}`, { details });
  }
}

/** Imports a `revsync.config.ts` (or `.js`) file and validates it; see {@link resolveConfig}. */
export async function loadConfig(
  file: string,
  environment: NodeJS.ProcessEnv = process.env,
): Promise<ResolvedConfig> {
  const path = resolve(file);
  if (!existsSync(path)) throw new ConfigError(file, [{ message: `no such file: ${path}` }]);
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (caught) {
    throw new ConfigError(file, [
      { message: `cannot load: ${caught instanceof Error ? caught.message : String(caught)}` },
    ]);
  }
  if (module.default === undefined) {
    throw new ConfigError(file, [
      { message: 'has no default export: write `export default defineConfig({ … })`' },
    ]);
  }
  return resolveConfig(module.default, environment, file);
}

/**
 * Validates a configuration object, resolves its `env()` references, and checks what the schema
 * alone cannot (the default region exists, enabled flows have their connections). Collects every
 * problem before throwing one {@link ConfigError}.
 */
export function resolveConfig(
  input: unknown,
  environment: NodeJS.ProcessEnv = process.env,
  source = 'configuration',
): ResolvedConfig {
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    // Name the connections' mistakes too, so one run shows every problem.
    const problems = issuesOf(parsed.error.issues);
    const raw = (input as { connections?: unknown } | null)?.connections;
    if (typeof raw === 'object' && raw !== null)
      checkConnections(raw as Record<string, unknown>, problems);
    throw new ConfigError(source, problems);
  }
  const problems: ErrorDetail[] = [];
  const config = parsed.data;
  const connections = checkConnections(config.connections, problems);
  const { audit: auditInput, ...rest } = config;
  const resolved = resolveRefs({ ...rest, connections }, [], environment, problems) as Omit<
    ResolvedConfig,
    'enabledFlows' | 'source' | 'audit'
  >;
  const audit = auditInput && resolveAudit(auditInput, environment, problems);

  if (!(config.defaultRegion in config.regions)) {
    problems.push({
      path: 'defaultRegion',
      message: `"${config.defaultRegion}" is not one of the regions (${Object.keys(config.regions).join(', ')})`,
    });
  }
  const enabledFlows = new Set<FlowName>(FLOW_NAMES.filter((f) => config.flows?.[f] !== false));
  for (const flow of enabledFlows) {
    for (const role of FLOW_ROLES[flow]) {
      if (!config.connections[role]) {
        problems.push({
          path: `flows.${flow}`,
          message: `needs connections.${role} (or set flows.${flow}: false)`,
        });
      }
    }
  }
  for (const [entity, fields] of Object.entries(config.ownership ?? {})) {
    for (const [field, owner] of Object.entries(fields)) {
      if (!config.connections[owner]) {
        problems.push({
          path: `ownership.${entity}.${field}`,
          message: `owner "${owner}" has no connection configured`,
        });
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(source, problems);
  return { ...resolved, ...(audit && { audit }), enabledFlows, source };
}

/**
 * The `audit` section: `signingKey` is an `env()` reference holding the key itself, or the path
 * of a PEM file (relative to the working directory); either way it must be an Ed25519 key.
 */
function resolveAudit(
  input: NonNullable<ReturnType<typeof configSchema.parse>['audit']>,
  environment: NodeJS.ProcessEnv,
  problems: ErrorDetail[],
): ResolvedAuditConfig | undefined {
  const path = 'audit.signingKey';
  let text: string | undefined;
  let from: string;
  if (isEnvRef(input.signingKey) || isFileRef(input.signingKey)) {
    from = isEnvRef(input.signingKey)
      ? `environment variable ${input.signingKey.env}`
      : resolve(input.signingKey.file);
    const before = problems.length;
    const value = resolveRefs(input.signingKey, ['audit', 'signingKey'], environment, problems);
    if (problems.length === before) text = value as string;
  } else {
    from = resolve(input.signingKey);
    try {
      text = readFileSync(from, 'utf8');
    } catch (caught) {
      problems.push({
        path,
        message: `cannot read ${from}: ${caught instanceof Error ? caught.message : String(caught)}`,
      });
    }
  }
  if (text === undefined) return undefined;
  let key: AuditSigningKey;
  try {
    key = parseAuditSigningKey(text);
  } catch (caught) {
    problems.push({
      path,
      message: `${from}: ${caught instanceof Error ? caught.message : String(caught)}`,
    });
    return undefined;
  }
  return {
    key,
    checkpointEvery: { ...DEFAULT_CHECKPOINT_EVERY, ...input.checkpointEvery },
    ...(input.checkpointDir !== undefined && { checkpointDir: resolve(input.checkpointDir) }),
  };
}

/**
 * One connection of `role` as its connector gets it: checked against the registered connector's
 * `configSchema`, `env()` references resolved from `environment`, the connector's default limits
 * applied where none are set (what {@link resolveConfig} does for each of its connections).
 *
 * @throws ConfigError naming every problem by path (`connections.erp.tokenSecret: required`)
 */
export function resolveConnection(
  role: Role,
  input: unknown,
  environment: NodeJS.ProcessEnv = process.env,
  source = `connections.${role}`,
): ResolvedConnection {
  const problems: ErrorDetail[] = [];
  const checked = checkConnections({ [role]: input }, problems);
  const resolved = resolveRefs(checked[role], ['connections', role], environment, problems);
  if (problems.length > 0) throw new ConfigError(source, problems);
  return resolved as ResolvedConnection;
}

/**
 * Checks `connections`: keyed by role, each naming a registered connector of that role whose
 * `configSchema` its settings pass. Problems are named by path
 * (`connections.erp.tokenSecret: required`); the old shape keyed by system
 * (`connections.netsuite`) is answered with the new one.
 */
function checkConnections(
  connections: Record<string, unknown>,
  problems: ErrorDetail[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const oldShape = Object.keys(connections).filter((key) => connectorFor(key) !== undefined);
  if (oldShape.length > 0) {
    problems.push({
      path: 'connections',
      message: `connections are keyed by role, not by system: write ${newShapeOf(connections, oldShape)}`,
    });
    return out;
  }
  for (const [key, value] of Object.entries(connections)) {
    const path = `connections.${key}`;
    if (!(ROLES as readonly string[]).includes(key)) {
      problems.push({ path, message: `unknown role "${key}" (roles: ${ROLES.join(', ')})` });
      continue;
    }
    const role = key as Role;
    const known = connectorsFor(role).map((c) => c.system);
    const system = (value as { system?: unknown } | null)?.system;
    if (typeof value !== 'object' || value === null || typeof system !== 'string') {
      problems.push({
        path: `${path}.system`,
        message: `required: which ${role} system (${known.join(' | ')})`,
      });
      continue;
    }
    const definition = connectorFor(system);
    if (!definition) {
      problems.push({
        path: `${path}.system`,
        message: `unknown system "${system}" (${role} systems: ${known.join(', ')})`,
      });
      continue;
    }
    if (definition.role !== role) {
      problems.push({
        path: `${path}.system`,
        message: `${system} is a ${definition.role} system, not ${role} (put it under connections.${definition.role})`,
      });
      continue;
    }
    const { system: _system, ...settings } = value as Record<string, unknown>;
    const schema = definition.configSchema.extend(commonConnectionSettings);
    const parsed = schema.safeParse(settings);
    if (!parsed.success) {
      problems.push(...issuesOf(parsed.error.issues, [path]));
      continue;
    }
    out[role] = {
      system,
      ...(definition.defaultLimits && { limits: definition.defaultLimits }),
      ...(parsed.data as Record<string, unknown>),
    };
  }
  return out;
}

/** The role-keyed form of an old `connections.<system>` block, for the error message. */
function newShapeOf(connections: Record<string, unknown>, systems: string[]): string {
  const parts = systems.map((system) => {
    const role = connectorFor(system)!.role;
    const keys = Object.keys((connections[system] as object | null) ?? {});
    const rest = keys.length > 0 ? `, ${keys.join(', ')}` : '';
    return `${role}: { system: '${system}'${rest} }`;
  });
  return `connections: { ${parts.join(', ')} } (e.g. crm: { system: '${DEFAULT_STACK.crm}', … }, billing: { system: '${DEFAULT_STACK.billing}', … }, erp: { system: '${DEFAULT_STACK.erp}', … })`;
}

function issuesOf(
  issues: readonly { path: PropertyKey[]; code: string; message: string; keys?: string[] }[],
  prefix: string[] = [],
): ErrorDetail[] {
  return issues.map((issue) => ({
    path: [...prefix, ...issue.path.map(String)].join('.') || '(root)',
    message:
      issue.code === 'unrecognized_keys'
        ? `unknown setting ${(issue.keys ?? []).map((k) => `"${k}"`).join(', ')}`
        : issue.message,
  }));
}

function resolveRefs(
  value: unknown,
  path: (string | number)[],
  environment: NodeJS.ProcessEnv,
  problems: ErrorDetail[],
): unknown {
  if (isEnvRef(value)) {
    const setting = path.join('.');
    const file = environment[`${value.env}_FILE`];
    const direct = environment[value.env];
    if (direct !== undefined && direct !== '' && file) {
      problems.push({
        path: setting,
        message: `both ${value.env} and ${value.env}_FILE are set; set one of them`,
      });
      return '';
    }
    if (direct !== undefined && direct !== '') return direct;
    if (file) return readSecretFile(file, `${value.env}_FILE`, setting, problems) ?? '';
    if (value.default !== undefined && value.default !== '') return value.default;
    problems.push({
      path: setting,
      message: `environment variable ${value.env} is not set`,
    });
    return '';
  }
  if (isFileRef(value)) {
    return readSecretFile(resolve(value.file), 'file()', path.join('.'), problems) ?? '';
  }
  if (Array.isArray(value))
    return value.map((v, i) => resolveRefs(v, [...path, i], environment, problems));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        resolveRefs(v, [...path, k], environment, problems),
      ]),
    );
  }
  return value;
}

/**
 * A secret mounted as a file (`NAME_FILE=/run/secrets/name` or `file('/run/secrets/name')`): its
 * contents, one trailing newline cut. A problem names the setting and the file, never contents.
 */
function readSecretFile(
  file: string,
  via: string,
  setting: string,
  problems: ErrorDetail[],
): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (caught) {
    const code = (caught as { code?: unknown }).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory'
            : typeof code === 'string'
              ? code
              : 'unreadable';
    problems.push({ path: setting, message: `cannot read ${file} (from ${via}): ${why}` });
    return undefined;
  }
  const value = text.replace(/\r?\n$/, '');
  if (value === '') {
    problems.push({ path: setting, message: `${file} (from ${via}) is empty` });
    return undefined;
  }
  return value;
}
