/**
 * The gateway in this process (startGateway on port 0) on the shipped
 * capability.yaml, in front of a fresh Label Studio simulator.
 */
import type { RunningGateway } from '../../src/gateway.js';
import { startLabelStudio, type LabelStudioSimulator } from '../fixtures/label-studio/simulator.js';
import { startInProcess } from './in-process.js';

/** GatewayWithSimulator is a started pair; `url` is the gateway's REST base URL. */
export interface GatewayWithSimulator {
  readonly sim: LabelStudioSimulator;
  readonly gw: RunningGateway;
  readonly url: string;
  close(): Promise<void>;
}

/** startGatewayWithSimulator starts the simulator, then the gateway pointed at it with its legacy key. */
export async function startGatewayWithSimulator(capability = 'capability.yaml'): Promise<GatewayWithSimulator> {
  const sim = await startLabelStudio();
  const { gateway: gw, url } = await startInProcess(capability, { LABEL_STUDIO_API_KEY: sim.legacyToken }, sim.url).catch(async (err: unknown) => {
    await sim.close();
    throw err;
  });
  return {
    sim,
    gw,
    url,
    async close() {
      await gw.close();
      await sim.close();
    },
  };
}
