import type { IncomingMessage } from 'node:http';
import { parseFormBody, type FormValue } from './form-body.ts';
import type { EmulatorRequest } from './router.ts';

/** A request the kit refuses before any handler runs; answered through `formatError`. */
export class EmulatorRequestError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'EmulatorRequestError';
    this.status = status;
    this.code = code;
  }
}

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new EmulatorRequestError(400, 'invalid_json', `malformed JSON body: ${String(err)}`);
  }
}

/** Builds the handler's view of a request from Node's message and the buffered body. */
export function createEmulatorRequest(message: IncomingMessage, rawBody: Buffer): EmulatorRequest {
  const url = new URL(message.url ?? '/', 'http://emulator.invalid');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const contentType = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  let query: Record<string, FormValue> | undefined;
  let body: { value: unknown } | undefined;
  return {
    method: (message.method ?? 'GET').toUpperCase(),
    path: url.pathname,
    route: '',
    params: {},
    searchParams: url.searchParams,
    get query() {
      return (query ??= parseFormBody(url.searchParams));
    },
    headers,
    rawBody,
    get body() {
      if (!body) {
        if (contentType === 'application/json' || contentType.endsWith('+json')) {
          body = { value: parseJson(rawBody) };
        } else if (contentType === 'application/x-www-form-urlencoded') {
          body = { value: parseFormBody(rawBody) };
        } else {
          body = { value: undefined };
        }
      }
      return body.value;
    },
    text: () => rawBody.toString('utf8'),
    json: () => parseJson(rawBody),
    form: () => parseFormBody(rawBody),
  };
}
