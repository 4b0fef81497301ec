/**
 * Checking the `schema:` extension at load time, so a broken JSON Schema is a
 * `check` error with its YAML path instead of a crash when routes are built.
 */
import { Ajv } from 'ajv';

// Meta-schema validation only (draft-07 vocabulary, which ajv's default build knows and which
// OpenAPI 3.1 documents accept); unknown keywords such as `example` are allowed.
const metaAjv = new Ajv({ strict: false, validateFormats: false });

/** checkJsonSchema returns why `schema` is not a valid JSON Schema, or undefined. */
export function checkJsonSchema(schema: object): string | undefined {
  if (metaAjv.validateSchema(schema) === true) return undefined;
  return metaAjv.errorsText(metaAjv.errors, { dataVar: 'schema' });
}
