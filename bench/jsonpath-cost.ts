/**
 * JSONPath cost per request of the mapped routes: the compiled mapper of the
 * bench capability run over the real list body, split into JSON.parse, the
 * mapping itself and JSON.stringify of the output (what a mapped route adds
 * over an identity route, which streams the body untouched).
 */
import type { JSONValue } from 'json-p3';
import { loadCapability } from '../src/capability/index.js';
import type { OutputParameterModel } from '../src/capability/model.js';

/** MappingCost is the per-request cost of one mapped route, in microseconds. */
export interface MappingCost {
  readonly route: string;
  readonly mapping: string;
  readonly parseUs: number;
  readonly mapUs: number;
  readonly stringifyUs: number;
  readonly outputBytes: number;
}

function timeUs(iterations: number, fn: () => unknown): number {
  for (let i = 0; i < Math.min(200, iterations); i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - start) / 1e3 / iterations;
}

function describeMapping(param: OutputParameterModel): string {
  const items = param.items?.properties ?? [];
  return items.length === 0 ? (param.mapping ?? '$') : `${param.mapping ?? '$'} → [{${items.map((p) => p.name ?? '').join(', ')}}]`;
}

/** measureMappingCost times every non-identity GET route of `capabilityFile` over `body`. */
export function measureMappingCost(capabilityFile: string, body: Buffer, iterations: number): MappingCost[] {
  const { capability } = loadCapability(capabilityFile, { env: { LABEL_STUDIO_API_KEY: 'bench' }, baseUris: {} });
  const text = body.toString('utf8');
  const document = JSON.parse(text) as JSONValue;
  const parseUs = timeUs(iterations, () => JSON.parse(text));
  const costs: MappingCost[] = [];
  for (const route of capability.rest[0]?.routes ?? []) {
    if (route.output.identity || route.method !== 'GET') continue;
    const map = route.output.map;
    const output = map(document);
    const mapUs = timeUs(iterations, () => map(document));
    const stringifyUs = timeUs(iterations, () => JSON.stringify(output));
    const mapping = route.outputParameters.map(describeMapping).join(', ');
    costs.push({ route: `${route.method} ${route.path}`, mapping, parseUs, mapUs, stringifyUs, outputBytes: Buffer.byteLength(JSON.stringify(output)) });
  }
  return costs;
}
