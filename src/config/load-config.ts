import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ValidationError, type ErrorDetail } from '../model/revsync-error.ts';
import {
  configSchema,
  FLOW_NAMES,
  type EnvRef,
  type FlowName,
  type RevsyncConfig,
} from './define-config.ts';

/** Replaces every `env()` reference in T by the string it resolved to. */
export type Resolved<T> = T extends EnvRef
  ? string
  : T extends (infer U)[]
    ? Resolved<U>[]
    : T extends object
      ? { [K in keyof T]: Resolved<T[K]> }
      : T;

/** A validated configuration with environment values filled in and defaults applied. */
export type ResolvedConfig = Resolved<ReturnType<typeof configSchema.parse>> & {
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
    throw new ConfigError(
      source,
      parsed.error.issues.map((issue) => ({
        path: issue.path.join('.') || '(root)',
        message:
          issue.code === 'unrecognized_keys'
            ? `unknown setting ${issue.keys.map((k) => `"${k}"`).join(', ')}`
            : issue.message,
      })),
    );
  }
  const problems: ErrorDetail[] = [];
  const resolved = resolveRefs(parsed.data, [], environment, problems) as Omit<
    ResolvedConfig,
    'enabledFlows' | 'source'
  >;
  const config = input as RevsyncConfig;

  if (!(config.defaultRegion in config.regions)) {
    problems.push({
      path: 'defaultRegion',
      message: `"${config.defaultRegion}" is not one of the regions (${Object.keys(config.regions).join(', ')})`,
    });
  }
  const enabledFlows = new Set<FlowName>(FLOW_NAMES.filter((f) => config.flows?.[f] !== false));
  const needs: Record<FlowName, ('salesforce' | 'stripe' | 'netsuite')[]> = {
    accountSync: ['salesforce', 'stripe', 'netsuite'],
    quoteToCash: ['salesforce', 'stripe', 'netsuite'],
    amendment: ['salesforce', 'stripe', 'netsuite'],
    invoiceToErp: ['stripe', 'netsuite'],
    renewal: ['stripe', 'netsuite'],
    usage: ['stripe'],
    paymentStatus: ['stripe', 'netsuite', 'salesforce'],
    subscriptionStatus: ['stripe', 'salesforce'],
    cancellation: ['stripe', 'netsuite', 'salesforce'],
  };
  for (const flow of enabledFlows) {
    for (const system of needs[flow]) {
      if (!config.connections[system]) {
        problems.push({
          path: `flows.${flow}`,
          message: `needs connections.${system} (or set flows.${flow}: false)`,
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
  return { ...resolved, enabledFlows, source };
}

function resolveRefs(
  value: unknown,
  path: (string | number)[],
  environment: NodeJS.ProcessEnv,
  problems: ErrorDetail[],
): unknown {
  if (isEnvRef(value)) {
    const found = environment[value.env] ?? value.default;
    if (found === undefined || found === '') {
      problems.push({
        path: path.join('.'),
        message: `environment variable ${value.env} is not set`,
      });
      return '';
    }
    return found;
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

function isEnvRef(value: unknown): value is EnvRef {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as EnvRef).env === 'string' &&
    Object.keys(value).every((k) => k === 'env' || k === 'default')
  );
}
