/**
 * Shared by the security tests: the real gateway process with inbound keys,
 * in front of the simulator, plus the checks every response and every
 * upstream request must pass.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { hashApiKey } from '../../src/security/api-keys.js';
import { startLabelStudio, type LabelStudioSimulator, type RecordedRequest } from '../fixtures/label-studio/simulator.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';

/** Secrets the tests watch for in responses, upstream requests and logs. */
export const UPSTREAM_KEY = `ls-upstream-${randomBytes(12).toString('hex')}`;
export const READ_KEY = `ngw-read-${randomBytes(16).toString('hex')}`;
export const WRITE_KEY = `ngw-write-${randomBytes(16).toString('hex')}`;
export const ADMIN_KEY = `ngw-admin-${randomBytes(16).toString('hex')}`;
export const SECRETS = [UPSTREAM_KEY, READ_KEY, WRITE_KEY, ADMIN_KEY];

/** API_KEYS is GATEWAY_API_KEYS for the three keys. */
export const API_KEYS = [`reader:${hashApiKey(READ_KEY)}:read`, `writer:${hashApiKey(WRITE_KEY)}:write`, `admin:${hashApiKey(ADMIN_KEY)}:read,write`].join(';');

/** SecureSetup is a running simulator and gateway with inbound keys. */
export interface SecureSetup {
  readonly sim: LabelStudioSimulator;
  readonly gw: GatewayProcess;
  close(): Promise<void>;
}

/** startSecureGateway starts both, the gateway at debug level so every log line is checked. */
export async function startSecureGateway(args: readonly string[] = []): Promise<SecureSetup> {
  const sim = await startLabelStudio({ legacyTokens: [UPSTREAM_KEY] });
  const gw = await startGatewayProcess({
    capability: 'capability.yaml',
    env: { LABEL_STUDIO_API_KEY: UPSTREAM_KEY, GATEWAY_BASE_URI: sim.url, GATEWAY_API_KEYS: API_KEYS },
    args: ['--log-level', 'debug', ...args],
  });
  return {
    sim,
    gw,
    async close() {
      await gw.stop();
      await sim.close();
      KEEP_ALIVE.destroy();
    },
  };
}

/** Reply is a response read in full. */
export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

/** send makes one request and reads the whole answer; node:http sends the path exactly as written (undici normalises `..`). */
export function send(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Reply> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port: Number(port), method, path, headers, agent: KEEP_ALIVE }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const KEEP_ALIVE = new Agent({ keepAlive: true, maxSockets: 4 });

/** Where each operation may go upstream: exact paths under the consumed resource, and the only query allowed. */
export const UPSTREAM_ALLOW: readonly { method: string; path: RegExp; query: RegExp }[] = [
  { method: 'POST', path: /^\/api\/invite\/reset-token$/, query: /^$/ },
  { method: 'GET', path: /^\/api\/organizations\/$/, query: /^(ordering=[^&]*)?$/ },
  { method: 'GET', path: /^\/api\/organizations\/-?\d+$/, query: /^$/ },
  { method: 'PATCH', path: /^\/api\/organizations\/-?\d+(\/set-default-role|\/memberships)?$/, query: /^$/ },
];

/** upstreamViolations lists what is wrong with requests the simulator received (empty when all is well). */
export function upstreamViolations(requests: readonly RecordedRequest[]): string[] {
  const problems: string[] = [];
  for (const r of requests) {
    const rule = UPSTREAM_ALLOW.find((a) => a.method === r.method && a.path.test(r.path));
    if (rule === undefined) problems.push(`unexpected upstream ${r.method} ${r.url}`);
    else if (!rule.query.test(r.query)) problems.push(`unexpected upstream query ${r.method} ${r.url}`);
    if (r.method === 'PATCH' && (typeof r.json !== 'object' || r.json === null || Array.isArray(r.json)) && r.body !== '') problems.push(`PATCH body is not an object: ${r.body.slice(0, 80)}`);
    if (r.headers['authorization'] !== `Token ${UPSTREAM_KEY}`) problems.push(`upstream Authorization is not the injected key on ${r.url}`);
    const raw = JSON.stringify(r.headers) + r.url + r.body;
    for (const s of SECRETS.slice(1)) if (raw.includes(s)) problems.push(`a gateway key went upstream on ${r.url}`);
  }
  return problems;
}

/** responseViolations checks one answer: a gateway error is well-formed problem+json; no secret appears. */
export function responseViolations(res: Reply): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(res.status) || res.status < 100 || res.status > 599) problems.push(`status ${res.status}`);
  if (res.headers['x-content-type-options'] !== 'nosniff') problems.push('missing nosniff');
  if (res.headers['x-powered-by'] !== undefined) problems.push('x-powered-by present');
  if (res.headers['set-cookie'] !== undefined) problems.push('set-cookie present');
  const all = JSON.stringify(res.headers) + res.text;
  for (const s of SECRETS) if (all.includes(s)) problems.push('a secret appears in the response');
  const type = String(res.headers['content-type'] ?? '');
  if (type.startsWith('application/problem+json')) {
    try {
      const p = JSON.parse(res.text) as { status?: unknown; code?: unknown; type?: unknown };
      if (p.status !== res.status) problems.push(`problem status ${String(p.status)} != ${res.status}`);
      if (typeof p.code !== 'string' || !p.code.startsWith('NGW_ERR_')) problems.push('problem without NGW_ERR_ code');
      if (res.status < 400) problems.push('problem+json with a success status');
    } catch {
      problems.push('problem+json body is not JSON');
    }
  }
  return problems;
}

/** logViolations checks captured log lines: no secret, every line JSON. */
export function logViolations(lines: readonly string[]): string[] {
  const problems: string[] = [];
  for (const line of lines) {
    for (const s of SECRETS) if (line.includes(s)) problems.push(`secret in log line: ${line.slice(0, 200)}`);
  }
  return problems;
}
