/**
 * Generates a large capability for the boot benchmark: `count` consumed
 * operations, each exposed as one REST route, mixing identity GETs, mapped
 * GETs and PATCHes with a schema-validated body (each body schema differs, so
 * boot compiles hundreds of distinct validators, not one shared one).
 */

/** generateCapability returns the YAML text of a capability with `count` operations. */
export function generateCapability(count: number): string {
  const consumed: string[] = [];
  const exposed: string[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 3;
    const method = kind === 2 ? 'PATCH' : 'GET';
    const body = kind === 2
      ? `
        - name: body
          in: body
          type: object
          required: true
          schema:
            additionalProperties: false
            properties:
              title: { type: string, maxLength: ${1000 + i} }`
      : '';
    consumed.push(`
    - name: res${i}
      path: /api/things${i}/{id}
      operations:
      - name: op${i}
        method: ${method}
        outputRawFormat: json
        inputParameters:
        - name: id
          in: path
          type: integer
          required: true
        - name: ordering
          in: query
          type: string
        - name: Authorization
          in: header
          type: string
          required: true${body}`);
    const mapping = kind === 1 ? '$.items[*].title' : '$.';
    exposed.push(`
    - path: /v1/things${i}/{id}
      name: things${i}
      operations:
      - method: ${method}
        name: op${i}
        call: gen.op${i}
        outputParameters:
        - type: object
          mapping: ${mapping}`);
  }
  return `naftiko: 1.0.0-alpha2
info:
  label: Generated capability
  description: ${count} generated operations for the boot benchmark.
binds:
- namespace: env
  keys:
    LABEL_STUDIO_API_KEY: LABEL_STUDIO_API_KEY
capability:
  consumes:
  - type: http
    namespace: gen
    baseUri: http://127.0.0.1:9
    resources:${consumed.join('')}
    authentication:
      type: apikey
      key: Authorization
      value: 'Token {{env.LABEL_STUDIO_API_KEY}}'
      placement: header
  exposes:
  - type: rest
    namespace: gen-rest
    port: 8080
    resources:${exposed.join('')}
`;
}
