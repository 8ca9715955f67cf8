export {
  defineConfig,
  env,
  configSchema,
  FLOW_NAMES,
  type RevsyncConfig,
  type EnvRef,
  type FlowName,
} from './define-config.ts';
export {
  loadConfig,
  resolveConfig,
  ConfigError,
  type ResolvedConfig,
  type Resolved,
} from './load-config.ts';
