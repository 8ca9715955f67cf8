/** The API version reported by `/v1/health` and the OpenAPI document. */
export const API_VERSION = '0.1.0';
