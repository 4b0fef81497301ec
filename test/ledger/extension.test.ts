/**
 * The `x-ledger` / `x-seat-guard` extensions: defaults, and problems reported
 * with their YAML path like every other capability error.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { CapabilityError, loadCapabilityText } from '../../src/capability/index.js';
import { parseDurationMs } from '../../src/capability/ledger-extension.js';
import { canonicalId } from '../../src/ledger/interceptor.js';

const ENV = { env: { LABEL_STUDIO_API_KEY: 'k' } };

t.test('the shipped capability guards memberships with the vendor defaults', async (t) => {
  const { capability } = loadCapabilityText('capability.yaml', readFileSync('capability.yaml', 'utf8'), ENV);
  const op = [...capability.operations.values()].find((o) => o.name === 'updatememberrole');
  t.match(op?.ledger, {
    organization: { parameter: 'id', field: [] },
    user: { parameter: 'body', field: ['user_id'] },
    role: { parameter: 'body', field: ['role'] },
    seatGuard: { policy: 'enforce', minimumPeriodMs: 7 * 86_400_000, organizationSpacingMs: 0, activeRoles: ['OW', 'AD', 'MA', 'RE', 'AN'], inactiveRoles: ['DI', 'NO'], overrideHeader: 'x-seat-guard-override' },
  });
  t.equal([...capability.operations.values()].filter((o) => o.ledger?.seatGuard !== undefined).length, 1, 'only memberships is guarded');
});

t.test('durations', async (t) => {
  const table: [string, number | undefined][] = [['7d', 604_800_000], ['12h', 43_200_000], ['30m', 1_800_000], ['0s', 0], ['250ms', 250], ['1.5d', 129_600_000], ['2w', 1_209_600_000], ['7', undefined], ['-1d', undefined], ['7 days', undefined]];
  for (const [text, want] of table) t.equal(parseDurationMs(text), want, text);
});

t.test('seat ids are compared the way Label Studio reads them', async (t) => {
  const table: [string | undefined, string | undefined][] = [['14', '14'], ['014', '14'], [' 14 ', '14'], ['+14', '14'], ['14.00', '14'], ['0', '0'], ['000', '0'], ['14.5', '14.5'], ['abc', 'abc'], [undefined, undefined]];
  for (const [input, want] of table) t.equal(canonicalId(input), want, JSON.stringify(input));
});

t.test('broken extensions are load errors naming the YAML path', async (t) => {
  const text = readFileSync('test/fixtures/capabilities/ledger.yaml', 'utf8')
    .replace('policy: enforce', 'policy: sometimes')
    .replace('minimumPeriod: 7d', 'minimumPeriod: 7')
    .replace('user: body.user_id', 'user: nobody.user_id')
    .replace('organization: id\n        inputParameters', 'organization: id.deep\n        inputParameters');
  const err = t.throws(() => loadCapabilityText('broken.yaml', text, ENV)) as CapabilityError;
  t.ok(err instanceof CapabilityError);
  const messages = err.problems.filter((p) => p.severity === 'error').map((p) => `${p.path}: ${p.message}`);
  const op0 = 'capability.consumes[0].resources[0].operations[0]';
  const expected = [
    new RegExp(`^${escape(op0)}\\.x-seat-guard\\.policy: must be one of enforce, warn, off, got "sometimes"`),
    new RegExp(`^${escape(op0)}\\.x-seat-guard\\.minimumPeriod: must be a duration`),
    new RegExp(`^${escape(op0)}\\.x-ledger\\.user: unknown input parameter "nobody" \\(known: id, body\\)`),
    /x-ledger\.organization: "id" is of type integer; only object parameters have fields/,
  ];
  for (const re of expected) t.ok(messages.some((m) => re.test(m)), `${re.source}\n${messages.join('\n')}`);
  t.equal(messages.length, expected.length, 'nothing else');
});

t.test('the vendor rules come from the capability: a guard without roles or period is a load error', async (t) => {
  const text = readFileSync('test/fixtures/capabilities/ledger.yaml', 'utf8')
    .replace("          minimumPeriod: 7d\n          activeRoles: [OW, AD, MA, RE, AN]\n          inactiveRoles: [DI, 'NO']\n", '');
  const err = t.throws(() => loadCapabilityText('unstated.yaml', text, ENV)) as CapabilityError;
  const messages = err.problems.filter((p) => p.severity === 'error').map((p) => `${p.path}: ${p.message}`);
  const guard = 'capability.consumes[0].resources[0].operations[0].x-seat-guard';
  t.same(messages, [
    `${guard}.activeRoles: is required: the role values that hold a seat`,
    `${guard}.inactiveRoles: is required: the role values that free a seat`,
    `${guard}.minimumPeriod: is required, a duration such as 7d`,
  ]);
  // Any vendor's roles work: nothing in the gateway knows Label Studio's codes.
  const other = readFileSync('test/fixtures/capabilities/ledger.yaml', 'utf8')
    .replace("activeRoles: [OW, AD, MA, RE, AN]\n          inactiveRoles: [DI, 'NO']", 'activeRoles: [member, admin]\n          inactiveRoles: [removed]')
    .replace('minimumPeriod: 7d', 'minimumPeriod: 30d');
  const { capability } = loadCapabilityText('other.yaml', other, ENV);
  t.match(capability.operations.get('sim.enforce')?.ledger?.seatGuard, { activeRoles: ['member', 'admin'], inactiveRoles: ['removed'], minimumPeriodMs: 30 * 86_400_000 });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
