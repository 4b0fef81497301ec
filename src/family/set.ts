/**
 * A capability set: every capability the gateway serves, merged into what
 * the adapters serve. Adapters that declare the same port become one adapter
 * (one listener): REST routes keep their declared paths, MCP tools are named
 * by the rules of ./names.ts, and each capability's own tools stay reachable
 * under their original names at `/mcp/<capability>`.
 */
import type { CompiledCapability, CompiledMcpAdapter, CompiledMcpTool, CompiledRestAdapter, CompiledRestRoute } from '../capability/compiled.js';
import type { InfoModel } from '../capability/model.js';
import { findRouteConflicts, type RouteOwner, type SetProblem } from './conflicts.js';
import { capabilityNameOf, sharedToolName } from './names.js';
import { relinkCapability, SharedUpstreams } from './shared-upstreams.js';

/** SetMember is one capability of the set. */
export interface SetMember {
  /** The capability's name in the set (its file name, ./names.ts). */
  readonly name: string;
  readonly file: string;
  /** The capability, its operations stamped with `name` and pointing at the set's shared upstreams. */
  readonly capability: CompiledCapability;
}

/** CapabilitySet is what one gateway serves. */
export interface CapabilitySet {
  /** The set's name: the folder's name when one folder was given, else the only capability's, else `capabilities`. */
  readonly name: string;
  readonly members: readonly SetMember[];
  /**
   * The set as one capability: `rest` and `mcp` hold one adapter per declared port, upstreams are
   * the shared ones. With one member and one adapter per port it is that member's capability.
   */
  readonly served: CompiledCapability;
  /** Per `served.mcp` entry: each capability's own tools on that port, by capability name (`/mcp/<name>`). */
  readonly mcpScopes: readonly ReadonlyMap<string, CompiledMcpAdapter>[];
}

/** LoadedMember is a compiled capability and how to find lines in its file. */
export interface LoadedMember {
  readonly file: string;
  readonly capability: CompiledCapability;
  readonly lineOf: (yamlPath: string) => number | undefined;
}

/** groupByPort keeps the first-seen order of ports. */
function groupByPort<T extends { readonly port: number }>(items: readonly { member: SetMember; adapter: T }[]): { member: SetMember; adapter: T }[][] {
  const groups = new Map<number, { member: SetMember; adapter: T }[]>();
  for (const item of items) {
    const group = groups.get(item.adapter.port) ?? [];
    group.push(item);
    groups.set(item.adapter.port, group);
  }
  return [...groups.values()];
}

function distinctMembers(group: readonly { member: SetMember }[]): number {
  return new Set(group.map((g) => g.member.name)).size;
}

function tagDescription(info: InfoModel): string {
  return info.description === undefined || info.description === info.label ? info.label : `${info.label}. ${info.description}`;
}

/** mergeRest makes one adapter of a port's adapters; in a set of several capabilities each capability is one OpenAPI tag. */
function mergeRest(group: readonly { member: SetMember; adapter: CompiledRestAdapter }[], tagByCapability: boolean, setName: string): CompiledRestAdapter {
  const first = group[0] as { member: SetMember; adapter: CompiledRestAdapter };
  if (group.length === 1 && !tagByCapability) return first.adapter;
  // operationIds are the REST adapter's (adapters/rest/operation-ids.ts), which prefixes those two capabilities share.
  const routes: CompiledRestRoute[] = [];
  for (const { member, adapter } of group) {
    for (const r of adapter.routes) routes.push(tagByCapability ? { ...r, resourceName: member.name, resourceDescription: tagDescription(member.capability.model.info) } : r);
  }
  const several = distinctMembers(group) > 1;
  return {
    namespace: several ? setName : first.adapter.namespace,
    port: first.adapter.port,
    address: first.adapter.address,
    description: several ? `REST adapter of ${group.map((g) => g.member.name).join(', ')}` : first.adapter.description,
    routes,
  };
}

/** mergeMcp makes one adapter of a port's adapters, and each capability's own view of it. */
function mergeMcp(
  group: readonly { member: SetMember; adapter: CompiledMcpAdapter }[],
  setName: string,
  problems: SetProblem[],
  where = `on port ${(group[0] as { adapter: CompiledMcpAdapter }).adapter.port}`,
): { adapter: CompiledMcpAdapter; scopes: Map<string, CompiledMcpAdapter> } {
  const first = group[0] as { member: SetMember; adapter: CompiledMcpAdapter };
  const several = distinctMembers(group) > 1;
  const tools: CompiledMcpTool[] = [];
  const taken = new Map<string, string>();
  const scopes = new Map<string, CompiledMcpAdapter>();
  for (const { member, adapter } of group) {
    const scope = scopes.get(member.name);
    scopes.set(member.name, scope === undefined ? adapter : { ...scope, tools: [...scope.tools, ...adapter.tools] });
    for (const tool of adapter.tools) {
      const name = several ? sharedToolName(member.name, tool.name) : tool.name;
      const owner = taken.get(name);
      if (owner !== undefined) {
        problems.push({ file: member.file, problem: { severity: 'error', path: `${tool.yamlPath}.name`, message: `MCP tool name "${name}" ${where} is also used by ${owner}` } });
        continue;
      }
      taken.set(name, `${member.file} (${tool.yamlPath})`);
      tools.push(name === tool.name ? tool : { ...tool, name, declaredName: tool.declaredName ?? tool.name });
    }
  }
  const description = several
    ? `Tools of ${group.length} capabilities, named <capability>.<tool>: ${[...scopes.keys()].join(', ')}. Each capability's own tools, under their original names, are also served at /mcp/<capability>.`
    : first.adapter.description;
  return {
    adapter: { namespace: several ? setName : first.adapter.namespace, port: first.adapter.port, address: first.adapter.address, transport: first.adapter.transport, description, tools },
    scopes,
  };
}

function servedModel(name: string, members: readonly SetMember[]): CompiledCapability['model'] {
  const first = (members[0] as SetMember).capability.model;
  if (members.length === 1) return first;
  const envBinds = new Map<string, string>();
  for (const m of members) for (const [k, v] of m.capability.model.envBinds) envBinds.set(k, v);
  const info: InfoModel = {
    label: name,
    description: `${members.length} capabilities served by one gateway: ${members.map((m) => `${m.name} (${m.capability.model.info.label})`).join(', ')}.`,
    tags: [...new Set(members.flatMap((m) => m.capability.model.info.tags))],
    version: first.info.version,
    contact: members.find((m) => m.capability.model.info.contact !== undefined)?.capability.model.info.contact,
  };
  // Every member's consumes (first declaration of a namespace wins), so the credential watch names every upstream's variables.
  const consumes = new Map<string, CompiledCapability['model']['consumes'][number]>();
  for (const m of members) for (const c of m.capability.model.consumes) if (!consumes.has(c.namespace)) consumes.set(c.namespace, c);
  return { ...first, info, envBinds, consumes: [...consumes.values()] };
}

/**
 * assembleCapabilitySet names, relinks and merges compiled capabilities; a
 * route served twice on one port, a name used twice or an MCP tool name clash is a problem, never a shadowed route.
 */
export function assembleCapabilitySet(setName: string, loaded: readonly LoadedMember[]): { set: CapabilitySet | undefined; problems: SetProblem[] } {
  const problems: SetProblem[] = [];
  const upstreams = new SharedUpstreams();
  const members: SetMember[] = [];
  const byName = new Map<string, string>();
  for (const l of loaded) {
    const name = capabilityNameOf(l.file);
    const other = byName.get(name);
    if (other !== undefined) {
      problems.push({ file: l.file, problem: { severity: 'error', path: '(file)', message: `capability name "${name}" (from the file name) is also the name of ${other}; rename one file` } });
      continue;
    }
    byName.set(name, l.file);
    members.push({ name, file: l.file, capability: relinkCapability(l.capability, loaded.length > 1 ? name : undefined, upstreams) });
  }
  const lineOfFile = new Map(loaded.map((l) => [l.file, l.lineOf]));
  const owners: RouteOwner[] = members.flatMap((m) =>
    m.capability.rest.flatMap((adapter) => adapter.routes.map((route) => ({ file: m.file, port: adapter.port, route, lineOf: lineOfFile.get(m.file) ?? (() => undefined) }))),
  );
  problems.push(...findRouteConflicts(owners));
  const several = members.length > 1;
  const rest = groupByPort(members.flatMap((member) => member.capability.rest.map((adapter) => ({ member, adapter })))).map((g) => mergeRest(g, several, setName));
  const mcpGroups = groupByPort(members.flatMap((member) => member.capability.mcp.map((adapter) => ({ member, adapter })))).map((g) => mergeMcp(g, setName, problems));
  if (problems.length > 0 || members.length === 0) return { set: undefined, problems };
  const single = members.length === 1 ? (members[0] as SetMember).capability : undefined;
  const served: CompiledCapability = {
    file: (members[0] as SetMember).file,
    model: servedModel(setName, members),
    upstreams: upstreams.all(),
    operations: single?.operations ?? new Map(members.flatMap((m) => [...m.capability.operations].map(([key, op]) => [`${m.name}/${key}`, op] as const))),
    rest,
    mcp: mcpGroups.map((g) => g.adapter),
    secrets: [...new Set(members.flatMap((m) => m.capability.secrets))],
  };
  return { set: { name: setName, members, served, mcpScopes: mcpGroups.map((g) => g.scopes) }, problems };
}

/**
 * mergeStdio is the set's tools as one endpoint, as `serve --mcp-stdio` serves them: an
 * agent that launches the gateway gets every tool of every MCP port, named by the rule of
 * the shared endpoint (`<capability>.<tool>` when several capabilities are served). A name
 * that still clashes (one capability reusing a tool name on two ports) is a problem.
 */
export function mergeStdio(set: CapabilitySet): { adapter: CompiledMcpAdapter | undefined; problems: SetProblem[] } {
  if (set.served.mcp.length <= 1) return { adapter: set.served.mcp[0], problems: [] };
  const problems: SetProblem[] = [];
  const all = set.members.flatMap((member) => member.capability.mcp.map((adapter) => ({ member, adapter })));
  return { adapter: mergeMcp(all, set.name, problems, 'over stdio').adapter, problems };
}
