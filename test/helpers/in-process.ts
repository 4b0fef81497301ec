/**
 * Starts the gateway in this process (startGateway on port 0) with captured
 * log lines, for tests that need many gateways quickly.
 */
import { resolveConfig } from '../../src/settings/index.js';
import { startGateway, type RunningGateway } from '../../src/gateway.js';

/** InProcessGateway is a running in-process gateway and its log lines. */
export interface InProcessGateway {
  readonly gateway: RunningGateway;
  readonly url: string;
  readonly logs: string[];
}

/** startInProcess serves `capability` with `env`; `baseUri` entries are `url` (every upstream) or `namespace=url`. */
export async function startInProcess(capability: string, env: Record<string, string>, baseUri: string | string[]): Promise<InProcessGateway> {
  const logs: string[] = [];
  const baseUris = typeof baseUri === 'string' ? [baseUri] : baseUri;
  const config = resolveConfig({ capability, restPort: '0', mcpPort: '0', baseUri: baseUris, logLevel: 'info' }, { GATEWAY_LEDGER: 'off' });
  const gateway = await startGateway(config, { env, logDestination: { write: (line: string) => void logs.push(line) } });
  return { gateway, url: gateway.restUrl as string, logs };
}
