/**
 * The MCP tool table: one entry per capability tool with its advertised
 * definition (JSON Schemas as they are, no zod round-trip) and its argument
 * validator, both built once at boot.
 */
import { SCHEDULE_ARGUMENT } from '../../ledger/schedule.js';
import type { ValidateFunction } from 'ajv';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { CompiledMcpAdapter, CompiledMcpTool } from '../../capability/compiled.js';
import type { JsonSchema } from '../../capability/model.js';
import { plainText } from '../../capability/plain-text.js';
import { mergeHints, methodHints } from '../../capability/semantics.js';
import { objectSchemaOf, type ObjectSchema } from '../input-schema.js';
import { compileJsonValidator } from '../../core/json-validation.js';
import { outputSchema } from '../output-schema.js';

/**
 * How a tool's output becomes `structuredContent`, which MCP requires to be an object:
 * `never` (known object), `non-object` (declared object, but e.g. a list may be an array at run time),
 * `always` (declared as another type).
 */
export type OutputWrap = 'never' | 'non-object' | 'always';

/** McpToolEntry is a tool ready to list and call. */
export interface McpToolEntry {
  readonly tool: CompiledMcpTool;
  readonly definition: Tool;
  readonly validate: ValidateFunction;
  readonly wrap: OutputWrap;
  /** Whether a problem object satisfies the output schema, so an `isError` result may carry it as structured content. */
  readonly problemFitsOutput: boolean;
  /** The tool's fixed fields of its `tool call completed` line, serialized once (call-tool.ts). */
  readonly logFields: string;
  /** Whether the tool takes the `_schedule` argument (its operation has a seat guard; docs/ledger.md "Scheduled changes"). */
  readonly schedulable: boolean;
}

/** McpToolTable indexes the entries by tool name. */
export interface McpToolTable {
  readonly adapter: CompiledMcpAdapter;
  readonly list: readonly Tool[];
  readonly byName: ReadonlyMap<string, McpToolEntry>;
}

/** inputSchemaOf is the tool's arguments object; undeclared arguments are refused so a misspelt name is not silently dropped. */
function inputSchemaOf(tool: CompiledMcpTool, schedulable: boolean): ObjectSchema {
  const schema = objectSchemaOf(tool.inputs, 'argument') ?? { type: 'object', properties: {} };
  if (!schedulable) return { ...schema, additionalProperties: false };
  const properties = { ...(schema.properties ?? {}), [SCHEDULE_ARGUMENT]: SCHEDULE_ARGUMENT_SCHEMA };
  return { ...schema, properties, additionalProperties: false };
}

const SCHEDULE_ARGUMENT_SCHEMA = {
  type: 'boolean',
  description: 'If the seat-rotation guard refuses the change now, schedule it for the earliest time the guard allows instead (see list-scheduled-changes).',
};

/** schedulableTool: a guarded operation's tool takes `_schedule`, unless one of its own arguments already has that name. */
function schedulableTool(tool: CompiledMcpTool): boolean {
  return tool.operation.ledger?.seatGuard !== undefined && !tool.inputs.some((i) => i.source.kind === 'argument' && i.source.name === SCHEDULE_ARGUMENT);
}

/**
 * outputShapeOf derives the tool's outputSchema from the documented output (the `schema:` extension
 * through the mapping, as the OpenAPI document does). MCP requires an object: a known object schema is
 * used as is; anything else (an array, a leaf value, an unknown shape) is wrapped as `{result}`, and
 * the wrapper admits a problem object too, which an `isError` result carries as structured content.
 */
function outputShapeOf(tool: CompiledMcpTool): { wrap: OutputWrap; schema: Tool['outputSchema'] } {
  const schema = outputSchema(tool);
  if (tool.outputParameters.length > 1) return { wrap: 'never', schema: schema as Tool['outputSchema'] };
  if (schema['type'] === 'object') return { wrap: 'non-object', schema: schema as Tool['outputSchema'] };
  // A mapped value may be absent (a singular JSONPath query that matches nothing yields null).
  const result: JsonSchema = Object.keys(schema).length === 0 ? {} : { anyOf: [schema, { type: 'null' }] };
  return {
    wrap: 'always',
    schema: { type: 'object', properties: { result }, anyOf: [{ required: ['result'] }, { required: PROBLEM_MEMBERS, description: 'An isError result: the problem.' }] },
  };
}

/** The members every problem has (RFC 9457 plus the gateway's code), as core/problem.ts renders them. */
const PROBLEM_MEMBERS = ['type', 'title', 'status', 'detail', 'instance', 'code'];
const SAMPLE_PROBLEM = {
  type: 'urn:naftiko-gateway:problem:validation',
  title: 'Invalid request',
  status: 400,
  detail: 'arguments.id must be >= 1',
  instance: '6f1c2a9e-3b7d-4c1e-9a51-2d0c8f4e7b10',
  code: 'NGW_ERR_VALIDATION',
  errors: [{ field: 'arguments.id', message: 'must be >= 1' }],
};

/** problemFits checks, once, that a problem satisfies the output schema (the SDK client validates error results too). */
function problemFits(schema: Tool['outputSchema']): boolean {
  return schema === undefined || compileJsonValidator(schema as JsonSchema)(SAMPLE_PROBLEM);
}

/** titleOf is the declared title, else the description's first sentence, else the name in words. */
function titleOf(tool: CompiledMcpTool): string {
  const declared = plainText(tool.title);
  if (declared !== undefined) return declared;
  const sentence = tool.summary?.split(/(?<=\.)\s/)[0]?.replace(/\.$/, '');
  if (sentence !== undefined && sentence.length <= 60) return sentence;
  const words = tool.name.replace(/[-_]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function compileEntry(tool: CompiledMcpTool): McpToolEntry {
  const schedulable = schedulableTool(tool);
  const inputSchema = inputSchemaOf(tool, schedulable);
  const output = outputShapeOf(tool);
  // MCP annotations: the tool's own hints over what its method says (readOnly is the capability's one `mutates` answer).
  const hints = mergeHints(methodHints(tool.operation.method), tool.declaredHints);
  const definition: Tool = {
    name: tool.name,
    inputSchema: inputSchema as Tool['inputSchema'],
    outputSchema: output.schema,
    annotations: {
      readOnlyHint: !tool.mutates,
      destructiveHint: hints.destructive,
      idempotentHint: hints.idempotent,
      openWorldHint: hints.openWorld,
    },
  };
  const description = tool.summary;
  if (description !== undefined) definition.description = description;
  const title = titleOf(tool);
  definition.title = title;
  (definition.annotations as { title?: string }).title = title;
  return new LazyToolEntry(tool, definition, inputSchema, output.wrap, output.schema, schedulable);
}

/**
 * LazyToolEntry compiles its validators on the first call of the tool: a capability set of
 * hundreds of tools (docs/families.md) would otherwise compile them all at boot, most never called.
 */
class LazyToolEntry implements McpToolEntry {
  private validator: ValidateFunction | undefined = undefined;
  private fits: boolean | undefined = undefined;
  readonly logFields: string;

  constructor(
    readonly tool: CompiledMcpTool,
    readonly definition: Tool,
    private readonly inputSchema: ObjectSchema,
    readonly wrap: OutputWrap,
    private readonly outputSchema: Tool['outputSchema'],
    readonly schedulable: boolean,
  ) {
    const capability = tool.operation.capability;
    this.logFields = `,"adapter":"mcp","tool":${JSON.stringify(tool.name)}${capability === undefined ? '' : `,"capability":${JSON.stringify(capability)}`},"operation":${JSON.stringify(tool.operation.key)}`;
  }

  get validate(): ValidateFunction {
    this.validator ??= compileJsonValidator(this.inputSchema);
    return this.validator;
  }

  get problemFitsOutput(): boolean {
    this.fits ??= problemFits(this.outputSchema);
    return this.fits;
  }
}

/** compileToolTable builds every tool's definition and validator (once per capability load). */
export function compileToolTable(adapter: CompiledMcpAdapter): McpToolTable {
  const byName = new Map<string, McpToolEntry>();
  for (const tool of adapter.tools) byName.set(tool.name, compileEntry(tool));
  return { adapter, list: [...byName.values()].map((e) => e.definition), byName };
}
