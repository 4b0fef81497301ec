/**
 * The MCP tool table: one entry per capability tool with its advertised
 * definition (JSON Schemas as they are, no zod round-trip) and its argument
 * validator, both built once at boot.
 */
import type { ValidateFunction } from 'ajv';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { CompiledMcpAdapter, CompiledMcpTool } from '../../capability/compiled.js';
import type { OutputParameterModel } from '../../capability/model.js';
import { objectSchemaOf, type ObjectSchema } from '../input-schema.js';
import { compileJsonValidator } from '../../core/json-validation.js';

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
}

/** McpToolTable indexes the entries by tool name. */
export interface McpToolTable {
  readonly adapter: CompiledMcpAdapter;
  readonly list: readonly Tool[];
  readonly byName: ReadonlyMap<string, McpToolEntry>;
}

// Leading/trailing emoji, symbols and variation selectors (the seed's "✨ Update organization").
const DECORATION = /^[\p{Extended_Pictographic}\p{So}\uFE0F\u200D\s]+|[\p{Extended_Pictographic}\p{So}\uFE0F\u200D\s]+$/gu;

/** cleanDescription strips decoration and surrounding whitespace. */
export function cleanDescription(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const clean = text.replace(DECORATION, '');
  return clean === '' ? undefined : clean;
}

/** inputSchemaOf is the tool's arguments object; undeclared arguments are refused so a misspelt name is not silently dropped. */
function inputSchemaOf(tool: CompiledMcpTool): ObjectSchema {
  const schema = objectSchemaOf(tool.inputs, 'argument') ?? { type: 'object', properties: {} };
  return { ...schema, additionalProperties: false };
}

function outputShapeOf(params: readonly OutputParameterModel[]): { wrap: OutputWrap; schema: Tool['outputSchema'] } {
  if (params.length > 1) {
    const properties: Record<string, object> = {};
    for (const p of params) if (p.name !== undefined) properties[p.name] = {};
    return { wrap: 'never', schema: { type: 'object', properties } };
  }
  const type = params[0]?.type ?? 'object';
  if (type === 'object') return { wrap: 'non-object', schema: { type: 'object' } };
  return { wrap: 'always', schema: { type: 'object', properties: { result: { type: [type, 'null'] } }, required: ['result'] } };
}

function compileEntry(tool: CompiledMcpTool): McpToolEntry {
  const inputSchema = inputSchemaOf(tool);
  const output = outputShapeOf(tool.outputParameters);
  const definition: Tool = {
    name: tool.name,
    inputSchema: inputSchema as Tool['inputSchema'],
    outputSchema: output.schema,
    annotations: {
      readOnlyHint: tool.hints.readOnly,
      destructiveHint: tool.hints.destructive,
      idempotentHint: tool.hints.idempotent,
      openWorldHint: tool.hints.openWorld,
    },
  };
  const description = cleanDescription(tool.description);
  if (description !== undefined) definition.description = description;
  const title = cleanDescription(tool.title);
  if (title !== undefined) {
    definition.title = title;
    (definition.annotations as { title?: string }).title = title;
  }
  return { tool, definition, validate: compileJsonValidator(inputSchema), wrap: output.wrap, problemFitsOutput: output.wrap !== 'always' };
}

/** compileToolTable builds every tool's definition and validator (once per capability load). */
export function compileToolTable(adapter: CompiledMcpAdapter): McpToolTable {
  const byName = new Map<string, McpToolEntry>();
  for (const tool of adapter.tools) byName.set(tool.name, compileEntry(tool));
  return { adapter, list: [...byName.values()].map((e) => e.definition), byName };
}
