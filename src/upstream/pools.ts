/**
 * One keep-alive undici Pool per upstream origin. Pools never follow
 * redirects (no redirect interceptor is installed).
 */
import { createRequire } from 'node:module';
import type { Pool as PoolType } from 'undici';
import type { CompiledUpstream } from '../capability/compiled.js';

type Pool = PoolType;

// undici's Pool module and its request API only: undici's index loads ~110 modules (fetch, WebSocket,
// mocks, caches, cookies — which load Node's own bundled undici too) the gateway never uses, ~60 ms of
// CPU at every start. The API mixin (`request`, `stream`, …) is installed on Dispatcher.prototype as
// undici's index installs it, so a Pool behaves the same whichever way it was loaded.
const require = createRequire(import.meta.url);
const Pool = require('undici/lib/dispatcher/pool.js') as typeof PoolType;
const Dispatcher = require('undici/lib/dispatcher/dispatcher.js') as { prototype: object };
Object.assign(Dispatcher.prototype, require('undici/lib/api/index.js') as object);

/** PoolOptions tunes the upstream connection pools. */
export interface PoolOptions {
  readonly connections: number;
  readonly connectTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly pipelining: number;
}

/** DEFAULT_POOL_OPTIONS suits one upstream API on a small machine. */
export const DEFAULT_POOL_OPTIONS: PoolOptions = {
  connections: 128,
  connectTimeoutMs: 10_000,
  keepAliveTimeoutMs: 30_000,
  pipelining: 1,
};

/** UpstreamPools owns the pools of every upstream of a capability. */
export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly options: PoolOptions = DEFAULT_POOL_OPTIONS) {}

  /** poolFor returns the pool of an upstream, creating it on first use. */
  poolFor(upstream: CompiledUpstream): Pool {
    let pool = this.pools.get(upstream.origin);
    if (pool === undefined) {
      pool = new Pool(upstream.origin, {
        connections: this.options.connections,
        pipelining: this.options.pipelining,
        keepAliveTimeout: this.options.keepAliveTimeoutMs,
        connect: { timeout: this.options.connectTimeoutMs },
      });
      this.pools.set(upstream.origin, pool);
    }
    return pool;
  }

  /** close waits for in-flight requests, then closes every pool. */
  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close()));
  }
}
