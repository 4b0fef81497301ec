/**
 * One HTTP exchange for tests: send (JSON body optional), read the whole
 * answer, parse it as JSON when it is JSON.
 */
import { request } from 'undici';

/** Reply is a response read whole. */
export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

/** HttpMethod is a method tests send. */
export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** sendJson sends `body` as JSON (when given) to `base + path` and reads the reply. */
export async function sendJson(base: string, method: HttpMethod, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await request(base + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}
