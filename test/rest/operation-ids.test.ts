/**
 * operationIds are the REST adapter's naming (src/adapters/rest/operation-ids.ts): after the MCP
 * tool calling the same operation, else method + name, unique per capability, and prefixed with
 * the capability's name when two capabilities of a set use one.
 */
import t from 'tap';
import { camelCase, restOperationIds } from '../../src/adapters/rest/operation-ids.js';
import type { CompiledRestRoute } from '../../src/capability/compiled.js';
import { loadCapability } from '../../src/capability/index.js';

const { capability } = loadCapability('capability.yaml', { env: { LABEL_STUDIO_API_KEY: 'k' }, baseUris: {} });
const routes = capability.rest[0]!.routes;

t.test('a route is named after the MCP tool calling its operation', async (t) => {
  const ids = restOperationIds(routes, capability.mcp);
  const get = routes.find((r) => r.method === 'GET' && r.path.endsWith('{id}'))!;
  t.equal(ids.get(get), 'getOrganizationSettings');
  t.equal(new Set(ids.values()).size, routes.length, 'every id is unique');
  for (const route of routes) {
    const tool = capability.mcp[0]!.tools.find((x) => x.operation === route.operation);
    if (tool !== undefined) t.equal(ids.get(route), camelCase(tool.name), `${route.method} ${route.path}`);
  }
});

t.test('a tool served under a set name still names the route by its declared name', async (t) => {
  const renamed = capability.mcp.map((a) => ({ tools: a.tools.map((tool) => ({ ...tool, name: `orgs.${tool.name}`, declaredName: tool.name })) }));
  t.same(restOperationIds(routes, renamed), restOperationIds(routes, capability.mcp));
});

t.test('without a tool: method + name, numbered when taken', async (t) => {
  const route = routes[0]!;
  const twin: CompiledRestRoute = { ...route, path: `${route.path}/twin` };
  const ids = restOperationIds([route, twin], []);
  const base = camelCase(`${route.method.toLowerCase()}-${route.name || route.resourceName}`);
  t.same([ids.get(route), ids.get(twin)], [base, `${base}2`]);
});

t.test('in a set, an id two capabilities use is prefixed in both; a unique one is kept', async (t) => {
  const [first, second] = routes as [CompiledRestRoute, CompiledRestRoute];
  const inA = { ...first, operation: { ...first.operation, capability: 'a-caps' } };
  const inB = { ...first, operation: { ...first.operation, capability: 'b' } };
  const onlyB = { ...second, operation: { ...second.operation, capability: 'b' } };
  const ids = restOperationIds([inA, inB, onlyB], []);
  const base = camelCase(`${first.method.toLowerCase()}-${first.name || first.resourceName}`);
  t.equal(ids.get(inA), `a_caps_${base}`);
  t.equal(ids.get(inB), `b_${base}`);
  t.equal(ids.get(onlyB), camelCase(`${second.method.toLowerCase()}-${second.name || second.resourceName}`));
});
