/**
 * The `x-ledger` and `x-seat-guard` extensions of a consumed operation: what
 * the role-change ledger records about a call (organization, user, role) and
 * the seat-rotation guard's policy. Kept out of the core dialect on purpose:
 * the gateway code stays generic, the capability says which inputs matter.
 */
import type { InputParameterModel } from './model.js';
import type { ProblemList } from './problems.js';

/** SeatGuardPolicy: `enforce` answers 409, `warn` forwards with a warning, `off` only records. */
export type SeatGuardPolicy = 'enforce' | 'warn' | 'off';

/** SeatGuardModel is a parsed `x-seat-guard` block. */
export interface SeatGuardModel {
  readonly policy: SeatGuardPolicy;
  /** Role values that hold a licensed seat. */
  readonly activeRoles: readonly string[];
  /** Role values that free the seat. */
  readonly inactiveRoles: readonly string[];
  /** How long a seat stays with a user before it may be taken away. */
  readonly minimumPeriodMs: number;
  /** Minimum time between successive changes in one organization (0 = none). */
  readonly organizationSpacingMs: number;
  /** Lower-cased request header whose value (a reason) overrides the guard. */
  readonly overrideHeader: string;
  readonly yamlPath: string;
}

/** LedgerExtensionModel is what `x-ledger` / `x-seat-guard` declare, references still as text. */
export interface LedgerExtensionModel {
  readonly organization: string | undefined;
  readonly user: string | undefined;
  readonly role: string | undefined;
  readonly seatGuard: SeatGuardModel | undefined;
  readonly yamlPath: string;
}

/** InputRef points at a consumed input: a parameter, or a field inside a body parameter. */
export interface InputRef {
  readonly parameter: string;
  readonly field: readonly string[];
  /** As written in the capability (`body.user_id`). */
  readonly text: string;
}

/** CompiledLedgerSpec is an operation's ledger subject and guard, references resolved. */
export interface CompiledLedgerSpec {
  readonly organization: InputRef | undefined;
  readonly user: InputRef | undefined;
  readonly role: InputRef | undefined;
  readonly seatGuard: SeatGuardModel | undefined;
}

/** DEFAULT_OVERRIDE_HEADER carries the reason for overriding the guard. */
export const DEFAULT_OVERRIDE_HEADER = 'x-seat-guard-override';

const POLICIES: readonly SeatGuardPolicy[] = ['enforce', 'warn', 'off'];
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const GUARD_KEYS = new Set(['policy', 'activeRoles', 'inactiveRoles', 'minimumPeriod', 'organizationSpacing', 'overrideHeader']);
const LEDGER_KEYS = new Set(['organization', 'user', 'role']);

type Obj = { readonly [key: string]: unknown };

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** parseDurationMs reads `7d`, `12h`, `30m`, `45s`, `500ms`, `2w`; undefined when malformed. */
export function parseDurationMs(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (m === null) return undefined;
  return Math.round(Number(m[1]) * (UNIT_MS[m[2] as string] as number));
}

/*
 * Which roles hold a seat and how long a seat must be kept are the vendor's rules, so the capability states
 * them (Label Studio's are in the shipped capability.yaml); the gateway assumes none.
 */
function duration(block: Obj, key: string, path: string, fallback: number | undefined, problems: ProblemList): number {
  const v = block[key];
  if ((v === undefined || v === null) && fallback !== undefined) return fallback;
  if (v === undefined || v === null) {
    problems.error(`${path}.${key}`, 'is required, a duration such as 7d');
    return 0;
  }
  const ms = typeof v === 'string' ? parseDurationMs(v) : undefined;
  if (ms === undefined) {
    problems.error(`${path}.${key}`, `must be a duration such as 7d, 12h, 30m or 0s, got ${JSON.stringify(v)}`);
    return fallback ?? 0;
  }
  return ms;
}

function roles(block: Obj, key: string, path: string, what: string, problems: ProblemList): readonly string[] {
  const v = block[key];
  if (v === undefined || v === null) {
    problems.error(`${path}.${key}`, `is required: the role values that ${what}`);
    return [];
  }
  if (!Array.isArray(v) || v.length === 0 || v.some((r) => typeof r !== 'string' || r === '')) {
    problems.error(`${path}.${key}`, 'must be a non-empty list of role values');
    return [];
  }
  return v as string[];
}

function reference(block: Obj, key: string, path: string, problems: ProblemList): string | undefined {
  const v = block[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !/^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/.test(v)) {
    problems.error(`${path}.${key}`, `must name an input parameter, optionally with a field (e.g. id, body.user_id), got ${JSON.stringify(v)}`);
    return undefined;
  }
  return v;
}

function warnUnknownKeys(block: Obj, known: ReadonlySet<string>, path: string, problems: ProblemList): void {
  for (const key of Object.keys(block)) if (!known.has(key)) problems.warning(`${path}.${key}`, 'unknown key (ignored)');
}

function parseSeatGuard(raw: unknown, path: string, problems: ProblemList): SeatGuardModel | undefined {
  if (!isObj(raw)) {
    problems.error(path, 'must be a mapping');
    return undefined;
  }
  warnUnknownKeys(raw, GUARD_KEYS, path, problems);
  let policy: SeatGuardPolicy = 'enforce';
  const p = raw['policy'];
  if (p !== undefined && p !== null) {
    if (typeof p === 'string' && (POLICIES as readonly string[]).includes(p.trim().toLowerCase())) policy = p.trim().toLowerCase() as SeatGuardPolicy;
    else problems.error(`${path}.policy`, `must be one of ${POLICIES.join(', ')}, got ${JSON.stringify(p)}`);
  }
  const activeRoles = roles(raw, 'activeRoles', path, 'hold a seat', problems);
  const inactiveRoles = roles(raw, 'inactiveRoles', path, 'free a seat', problems);
  const both = activeRoles.filter((r) => inactiveRoles.includes(r));
  if (both.length > 0) problems.error(`${path}.inactiveRoles`, `roles cannot be both active and inactive: ${both.join(', ')}`);
  let overrideHeader = DEFAULT_OVERRIDE_HEADER;
  const h = raw['overrideHeader'];
  if (h !== undefined && h !== null) {
    if (typeof h === 'string' && HEADER_NAME.test(h.toLowerCase())) overrideHeader = h.toLowerCase();
    else problems.error(`${path}.overrideHeader`, `must be an HTTP header name, got ${JSON.stringify(h)}`);
  }
  return {
    policy,
    activeRoles,
    inactiveRoles,
    minimumPeriodMs: duration(raw, 'minimumPeriod', path, undefined, problems),
    organizationSpacingMs: duration(raw, 'organizationSpacing', path, 0, problems),
    overrideHeader,
    yamlPath: path,
  };
}

/** parseLedgerExtension reads a consumed operation's `x-ledger` and `x-seat-guard`; undefined when neither is set. */
export function parseLedgerExtension(op: Obj, opPath: string, problems: ProblemList): LedgerExtensionModel | undefined {
  const rawLedger = op['x-ledger'];
  const rawGuard = op['x-seat-guard'];
  if (rawLedger === undefined && rawGuard === undefined) return undefined;
  const ledgerPath = `${opPath}.x-ledger`;
  let subject: Obj = {};
  if (rawLedger !== undefined) {
    if (isObj(rawLedger)) {
      subject = rawLedger;
      warnUnknownKeys(rawLedger, LEDGER_KEYS, ledgerPath, problems);
    } else problems.error(ledgerPath, 'must be a mapping');
  }
  const seatGuard = rawGuard === undefined ? undefined : parseSeatGuard(rawGuard, `${opPath}.x-seat-guard`, problems);
  return {
    organization: reference(subject, 'organization', ledgerPath, problems),
    user: reference(subject, 'user', ledgerPath, problems),
    role: reference(subject, 'role', ledgerPath, problems),
    seatGuard,
    yamlPath: opPath,
  };
}

function resolveRef(text: string | undefined, key: string, ext: LedgerExtensionModel, parameters: readonly InputParameterModel[], problems: ProblemList): InputRef | undefined {
  if (text === undefined) return undefined;
  const [name, ...field] = text.split('.');
  const param = parameters.find((p) => p.name === name);
  const path = `${ext.yamlPath}.x-ledger.${key}`;
  if (param === undefined) {
    problems.error(path, `unknown input parameter "${name ?? ''}" (known: ${parameters.map((p) => p.name).join(', ') || '(none)'})`);
    return undefined;
  }
  if (field.length > 0 && param.type !== 'object') {
    problems.error(path, `"${param.name}" is of type ${param.type}; only object parameters have fields`);
    return undefined;
  }
  return { parameter: param.name, field, text };
}

/** compileLedgerExtension resolves references against the operation's parameters; a guard needs organization, user and role. */
export function compileLedgerExtension(
  ext: LedgerExtensionModel | undefined,
  parameters: readonly InputParameterModel[],
  problems: ProblemList,
): CompiledLedgerSpec | undefined {
  if (ext === undefined) return undefined;
  const spec: CompiledLedgerSpec = {
    organization: resolveRef(ext.organization, 'organization', ext, parameters, problems),
    user: resolveRef(ext.user, 'user', ext, parameters, problems),
    role: resolveRef(ext.role, 'role', ext, parameters, problems),
    seatGuard: ext.seatGuard,
  };
  if (ext.seatGuard !== undefined) {
    const missing = (['organization', 'user', 'role'] as const).filter((k) => ext[k] === undefined);
    if (missing.length > 0) problems.error(ext.seatGuard.yamlPath, `the seat guard needs x-ledger.${missing.join(', x-ledger.')} to identify the seat and the role`);
  }
  return spec;
}

/** readInput returns the value an InputRef points at in a call's inputs, as text; undefined when absent. */
export function readInput(values: Readonly<Record<string, unknown>>, ref: InputRef | undefined): string | undefined {
  if (ref === undefined) return undefined;
  let v: unknown = values[ref.parameter];
  for (let i = 0; i < ref.field.length && v !== undefined; i++) {
    v = isObj(v) ? v[ref.field[i] as string] : undefined;
  }
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return undefined;
}
