import { Connection } from 'jsforce';
import type { RunningSalesforceEmulator } from './index.ts';

/** A jsforce connection on the emulator's fixed access token (API version 62.0 unless given). */
export function connect(sf: RunningSalesforceEmulator, version = '62.0'): Connection {
  return new Connection({ instanceUrl: sf.url, accessToken: sf.accessToken, version });
}

/** A raw REST call with the fixed token; answers status, headers and parsed body. */
export async function call(
  sf: RunningSalesforceEmulator,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const res = await fetch(`${sf.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${sf.accessToken}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** The error a promise rejects with (fails when it resolves). */
export async function rejection(
  p: PromiseLike<unknown>,
): Promise<Error & { errorCode?: string; data?: unknown }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { errorCode?: string; data?: unknown };
  }
  throw new Error('expected a rejection');
}
