/** revsync's HTTP API: build it with {@link createApiServer}, start it with {@link listen}. */
export { createApiServer, routesOf, type RegisteredRoute } from './create-api-server.ts';
export { API_VERSION } from './api-version.ts';
export { listen, type ListenOptions } from './listen.ts';
export type { ApiOptions } from './api-options.ts';
export type {
  ApiActor,
  ApiDeps,
  BusinessViewColumn,
  BusinessViewColumnType,
  BusinessViewInfo,
  BusinessViewResult,
  BusinessViews,
  UsageIngest,
} from './deps.ts';
export { UsageManifestInput, UsageRecordInput } from './schemas/usage.ts';
export { ErrorBody } from './schemas/common.ts';
export { API_ROUTES } from './routes/index.ts';
export { buildOpenApiDocument } from './openapi.ts';
