/**
 * The compiled capability is the contract adapters read: deep-frozen,
 * transport-neutral (no router paths, operation ids or MCP annotations), with
 * each call's summary, `mutates` and scope decided once.
 */
import t from 'tap';
import { loadCapability } from '../../src/capability/index.js';

const { capability } = loadCapability('capability.yaml', { env: { LABEL_STUDIO_API_KEY: 'test-key' } });
const calls = [...capability.rest.flatMap((a) => a.routes), ...capability.mcp.flatMap((a) => a.tools)];

t.test('everything adapters read is frozen', async (t) => {
  t.ok(calls.length > 10, `${calls.length} calls`);
  t.ok(Object.isFrozen(capability));
  t.ok(Object.isFrozen(capability.rest) && Object.isFrozen(capability.mcp) && Object.isFrozen(capability.upstreams));
  for (const call of calls) {
    t.ok(Object.isFrozen(call), `${call.name} frozen`);
    t.ok(Object.isFrozen(call.inputs) && call.inputs.every((i) => Object.isFrozen(i) && Object.isFrozen(i.source) && Object.isFrozen(i.parameter)), `${call.name} inputs frozen`);
    t.ok(Object.isFrozen(call.operation) && Object.isFrozen(call.operation.upstream.auth), `${call.name} operation frozen`);
  }
  for (const op of capability.operations.values()) t.ok(Object.isFrozen(op.parameters) && Object.isFrozen(op.hints), `${op.key} parameters and hints frozen`);
  const route = capability.rest[0]?.routes[0];
  t.throws(() => {
    (route as { name: string }).name = 'changed';
  }, TypeError);
  t.throws(() => {
    (route?.inputs as unknown[]).push({});
  }, TypeError);
});

t.test('no router paths or MCP annotations in the compiled capability', async (t) => {
  for (const route of capability.rest.flatMap((a) => a.routes)) {
    t.notOk('url' in route, `${route.name}: no router path`);
    t.ok(route.path.startsWith('/'), 'the capability path stays');
  }
  for (const tool of capability.mcp.flatMap((a) => a.tools)) t.notOk('hints' in tool, `${tool.name}: no MCP annotations`);
});

t.test('mutates and scope: one answer per call', async (t) => {
  for (const call of calls) {
    t.equal(call.mutates, call.operation.method !== 'GET', `${call.name}: ${call.operation.method} mutates=${call.mutates}`);
    t.equal(call.scope, call.mutates ? 'write' : 'read');
  }
  const declared = loadCapability('test/fixtures/capabilities/hinted.yaml', { env: {} }).capability;
  const [search, get] = declared.mcp[0]?.tools ?? [];
  t.match(search, { mutates: false, scope: 'read', summary: 'Search items' }, 'a POST declared read-only does not mutate');
  t.match(get, { mutates: true, scope: 'write', summary: undefined }, 'a GET declared not read-only mutates');
});
