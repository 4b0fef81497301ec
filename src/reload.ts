/**
 * Capability reload without downtime (`SIGHUP`, `serve --watch`): re-read the
 * file and the environment (`NAME_FILE` secrets included), re-validate,
 * re-compile, and only on success swap the REST app; on failure the previous
 * capability keeps serving and every problem is logged with its YAML path.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { CapabilityError, loadCapability, type CapabilityProblem, type CompiledCapability, type CompiledRestAdapter } from './capability/index.js';
import type { CompileOptions } from './capability/compile.js';
import type { RestListener } from './adapters/rest/listener.js';
import { CapabilitySetError } from './family/load.js';
import { EnvFileError } from './ops/env-files.js';
import { watchFiles } from './ops/watch-files.js';

/** ReloadResult says whether the new capability is being served, and why not. */
export interface ReloadResult {
  readonly ok: boolean;
  /** Every problem found in the file (errors and warnings). */
  readonly problems: readonly CapabilityProblem[];
  /** What stopped the reload when it is not a capability problem (an unreadable secret file…). */
  readonly reason: string | undefined;
}

/** ReloadListener is told about each capability that was swapped in (MCP sends `tools/list_changed`). */
export type ReloadListener = (capability: CompiledCapability) => void | Promise<void>;

/** A warning found by a reload, with the file it is in when several are served. */
export type ReloadWarning = CapabilityProblem & { readonly file?: string | undefined };

/** ReloadTarget is what a reload reads and replaces, supplied by the gateway wiring. */
export interface ReloadTarget {
  readonly file: string;
  readonly logger: Logger;
  /** Fresh compile options: the environment is read again on every call. */
  loadOptions(): Omit<CompileOptions, 'mode'>;
  /** Loads what to serve instead of `file` alone (a capability set); throws CapabilityError like loadCapability. */
  load?(): { capability: CompiledCapability; warnings: ReloadWarning[] };
  current(): CompiledCapability;
  /** Runs before the new capability is served (opening the ledger it declares); a failure rejects the reload. */
  prepare?(next: CompiledCapability): Promise<void>;
  setCurrent(capability: CompiledCapability): void;
  /** One listener per REST adapter (capability order) and how to build an app for an adapter, when REST is served. */
  readonly rest:
    | { readonly listeners: readonly RestListener[]; build(adapter: CompiledRestAdapter, capability: CompiledCapability): FastifyInstance; readonly portOverridden: boolean }
    | undefined;
  readonly listeners: readonly ReloadListener[];
}

function describeRoutes(capability: CompiledCapability): Set<string> {
  return new Set(capability.rest.flatMap((a) => a.routes.map((r) => `${r.method} ${r.path}`)));
}

function rejected(target: ReloadTarget, problems: readonly ReloadWarning[], reason: string | undefined): ReloadResult {
  for (const p of problems) {
    if (p.severity === 'error') target.logger.error({ file: p.file ?? target.file, path: p.path, line: p.line }, `capability reload: ${p.path}: ${p.message}`);
  }
  if (reason !== undefined) target.logger.error({ file: target.file }, `capability reload: ${reason}`);
  const files = [...new Set(problems.filter((p) => p.severity === 'error').map((p) => p.file ?? target.file))];
  target.logger.error(
    { file: files.length === 1 ? files[0] : target.file, files: files.length > 1 ? files : undefined, errors: problems.filter((p) => p.severity === 'error').length },
    'capability reload failed; still serving the previous capability',
  );
  return { ok: false, problems, reason };
}

/** reloadCapability runs one reload; it never throws for a bad capability. */
export async function reloadCapability(target: ReloadTarget): Promise<ReloadResult> {
  const started = performance.now();
  let next: CompiledCapability;
  let warnings: ReloadWarning[];
  try {
    ({ capability: next, warnings } = target.load !== undefined ? target.load() : loadCapability(target.file, target.loadOptions()));
  } catch (err) {
    // Any broken file of a set keeps the whole previous set serving; the log names each broken file.
    if (err instanceof CapabilitySetError) return rejected(target, err.failures.flatMap((f) => f.problems.map((p) => ({ ...p, file: f.file }))), undefined);
    if (err instanceof CapabilityError) return rejected(target, err.problems.map((p) => ({ ...p, file: err.file })), undefined);
    if (err instanceof EnvFileError) return rejected(target, [], err.message);
    throw err;
  }
  if (target.prepare !== undefined) {
    try {
      await target.prepare(next);
    } catch (err) {
      return rejected(target, warnings, (err as Error).message);
    }
  }
  const previous = target.current();
  const rest = target.rest;
  if (rest !== undefined) {
    if (next.rest.length !== rest.listeners.length) {
      return rejected(target, warnings, `the new capability exposes ${next.rest.length} REST adapters instead of ${rest.listeners.length}; a restart is needed to open or close ports`);
    }
    for (const [i, adapter] of next.rest.entries()) {
      const oldPort = previous.rest[i]?.port;
      if ((i > 0 || !rest.portOverridden) && oldPort !== adapter.port) {
        target.logger.warn({ adapter: adapter.namespace, from: oldPort, to: adapter.port }, 'capability reload: the REST port changed; it applies at the next restart');
      }
    }
    // Every new app is made ready before any is swapped in, so a failure leaves all adapters on the previous capability.
    const apps = next.rest.map((adapter) => rest.build(adapter, next));
    try {
      await Promise.all(apps.map((app) => app.ready()));
    } catch (err) {
      await Promise.all(apps.map((app) => app.close().catch(() => undefined)));
      target.logger.error({ err }, 'capability reload: building the REST adapter failed');
      return rejected(target, warnings, `building the REST adapter failed: ${(err as Error).message}`);
    }
    await Promise.all(apps.map((app, i) => (rest.listeners[i] as RestListener).swap(app)));
  }
  target.setCurrent(next);
  for (const w of warnings) target.logger.warn({ file: w.file, path: w.path, line: w.line }, `capability: ${w.message}`);
  const before = describeRoutes(previous);
  const after = describeRoutes(next);
  target.logger.info(
    {
      file: target.file,
      routes: after.size,
      added: [...after].filter((r) => !before.has(r)),
      removed: [...before].filter((r) => !after.has(r)),
      durationMs: Math.round(performance.now() - started),
    },
    'capability reloaded',
  );
  for (const listener of target.listeners) {
    try {
      await listener(next);
    } catch (err) {
      target.logger.error({ err }, 'capability reload: a reload listener failed');
    }
  }
  return { ok: true, problems: warnings, reason: undefined };
}

/**
 * ReloadQueue runs reloads one at a time. A request during a reload schedules
 * exactly one more, which reads the file as it is by then; further requests share it.
 */
export class ReloadQueue {
  private running: Promise<ReloadResult> | undefined = undefined;
  private queued: Promise<ReloadResult> | undefined = undefined;

  constructor(private readonly run: () => Promise<ReloadResult>) {}

  /** request starts a reload, or joins the one queued behind the running one. */
  request(): Promise<ReloadResult> {
    if (this.running === undefined) return this.start();
    this.queued ??= this.running.then(
      () => this.startQueued(),
      () => this.startQueued(),
    );
    return this.queued;
  }

  /** idle resolves once no reload is running or queued. */
  async idle(): Promise<void> {
    while (this.running !== undefined || this.queued !== undefined) await (this.queued ?? this.running)?.catch(() => undefined);
  }

  private startQueued(): Promise<ReloadResult> {
    this.queued = undefined;
    return this.start();
  }

  private start(): Promise<ReloadResult> {
    const run = this.run().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }
}

/** ReloadControl is what the gateway exposes: reload on demand, listen for reloads, stop. */
export interface ReloadControl {
  reload(): Promise<ReloadResult>;
  onReload(listener: ReloadListener): void;
  /** close stops watching and waits for a running reload. */
  close(): Promise<void>;
}

/** startReloading serializes reloads of `target` and, given `watchPaths`, reloads when one of them changes. */
export function startReloading(target: Omit<ReloadTarget, 'listeners'>, watchPaths: readonly string[] | undefined): ReloadControl {
  const listeners: ReloadListener[] = [];
  const queue = new ReloadQueue(() => reloadCapability({ ...target, listeners }));
  const request = (): void => {
    queue.request().catch((err: unknown) => target.logger.error({ err }, 'capability reload failed'));
  };
  const stopWatching = watchPaths === undefined ? undefined : watchFiles(watchPaths, request, (err) => target.logger.error({ err }, 'watching the capability file failed'));
  if (stopWatching !== undefined) target.logger.info({ files: watchPaths }, 'watching the capability file for changes');
  return {
    reload: () => queue.request(),
    onReload: (listener) => void listeners.push(listener),
    async close(): Promise<void> {
      stopWatching?.();
      await queue.idle();
    },
  };
}
