/**
 * Shared bits of the reliability tests: a simulator plus a gateway process
 * pointed at it, and polling without long sleeps.
 */
import parsePrometheusTextFormat, { type PromFamily, type PromSample } from 'parse-prometheus-text-format';
import type { Test } from 'tap';
import { request } from 'undici';
import { startLabelStudio, type LabelStudioSimulator } from '../fixtures/label-studio/simulator.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';
import { TEST_DEADLINE_MS } from '../helpers/deadlines.js';

/** Rig is a simulator and a gateway in front of it. */
export interface Rig {
  readonly sim: LabelStudioSimulator;
  readonly gw: GatewayProcess;
}

/** startRig starts both and tears them down with the test. */
export async function startRig(t: Test, args: readonly string[] = [], capability = 'capability.yaml'): Promise<Rig> {
  const sim = await startLabelStudio();
  t.teardown(() => sim.close());
  const gw = await startGatewayProcess({ capability, env: { LABEL_STUDIO_API_KEY: sim.legacyToken, GATEWAY_BASE_URI: sim.url }, args });
  t.teardown(() => gw.stop());
  return { sim, gw };
}

/** waitFor polls `check` every 10 ms until it is true, failing after `timeoutMs` (default: the shared test deadline). */
export async function waitFor(check: () => boolean, timeoutMs = TEST_DEADLINE_MS, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** scrape fetches `/metrics` and parses it with a Prometheus text-format parser. */
export async function scrape(gatewayUrl: string): Promise<PromFamily[]> {
  const res = await request(`${gatewayUrl}/metrics`);
  if (res.statusCode !== 200) throw new Error(`/metrics answered ${res.statusCode}`);
  return parsePrometheusTextFormat(await res.body.text());
}

/** sample finds the value of one series, matching every given label. */
export function sample(families: readonly PromFamily[], name: string, labels: Record<string, string> = {}): PromSample | undefined {
  const family = families.find((f) => f.name === name);
  return family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
}
export { TEST_DEADLINE_MS };
