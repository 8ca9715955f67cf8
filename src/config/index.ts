export {
  defineConfig,
  env,
  file,
  configSchema,
  FLOW_NAMES,
  FLOW_ROLES,
  type ConnectionInput,
  type ConnectionsInput,
  type RevsyncConfig,
  type EnvRef,
  type FileRef,
  type FlowName,
} from './define-config.ts';
export {
  loadConfig,
  resolveConfig,
  resolveConnection,
  ConfigError,
  type ResolvedConfig,
  type Resolved,
} from './load-config.ts';
export type { Role } from '../connectors/definition.ts';
