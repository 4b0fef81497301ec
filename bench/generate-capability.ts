/**
 * Generates capabilities for the benchmarks, one generator for both: the large
 * capability of the boot benchmark (bench/run.ts) and the areas of the family
 * benchmark (bench/family.ts). Operations mix GETs and PATCHes with a
 * schema-validated body (each body schema differs, so boot compiles hundreds
 * of distinct validators, not one shared one).
 */

/** GenerateOptions shape one generated capability; the defaults are the boot benchmark's. */
export interface GenerateOptions {
  /** The consumes namespace (operations are called as `<namespace>.op<i>`). */
  readonly namespace?: string;
  readonly label?: string;
  readonly description?: string;
  /** A path segment before every route (`/v1/<area>/things<i>/{id}`, upstream `/api/<area>/things<i>/{id}/`), so areas never clash. */
  readonly area?: string;
  /** Operation 0 as this GET instead (a route bench's static upstream answers, for load rounds). */
  readonly firstRoute?: { readonly exposed: string; readonly upstream: string };
  /** Every consumed operation takes a required Authorization header and every exposed one maps its output (default true). */
  readonly headersAndMappings?: boolean;
  /** Also expose every operation as an MCP tool on port 9090; tool names repeat in every capability, as in Label Studio's family. */
  readonly mcp?: boolean;
  /** Where the body schemas' maxLength bounds start (distinct across capabilities). */
  readonly maxLengthBase?: number;
}

/** generateCapability returns the YAML text of a capability with `count` operations. */
export function generateCapability(count: number, options: GenerateOptions = {}): string {
  const ns = options.namespace ?? 'gen';
  const full = options.headersAndMappings ?? true;
  const consumed: string[] = [];
  const exposed: string[] = [];
  const tools: string[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 3;
    const method = kind === 2 ? 'PATCH' : 'GET';
    const first = i === 0 ? options.firstRoute : undefined;
    const upstreamPath = first?.upstream ?? (options.area === undefined ? `/api/things${i}/{id}` : `/api/${options.area}/things${i}/{id}/`);
    const exposedPath = first?.exposed ?? (options.area === undefined ? `/v1/things${i}/{id}` : `/v1/${options.area}/things${i}/{id}`);
    const body =
      kind === 2
        ? `
        - name: body
          in: body
          type: object
          required: true
          schema:
            additionalProperties: ${full ? 'false' : 'true'}
            properties:
              title: { type: string, maxLength: ${(options.maxLengthBase ?? 1000) + i} }`
        : '';
    const header = full
      ? `
        - name: Authorization
          in: header
          type: string
          required: true`
      : '';
    consumed.push(`
    - name: res${i}
      path: ${upstreamPath}
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
          type: string${header}${body}`);
    const mapping = full
      ? `
        outputParameters:
        - type: object
          mapping: ${kind === 1 ? '$.items[*].title' : '$.'}`
      : `
        with:
          id: rest.id${kind === 2 ? '\n          body: rest.body' : ''}`;
    exposed.push(`
    - path: ${exposedPath}
      name: things${i}
      operations:
      - method: ${method}
        name: op${i}
        call: ${ns}.op${i}${mapping}`);
    tools.push(`
    - name: ${i === 0 ? 'get-organization' : `${method.toLowerCase()}-thing-${i}`}
      call: ${ns}.op${i}
      with:
        id: tools.id${kind === 2 ? '\n        body: tools.body' : ''}`);
  }
  const mcp =
    options.mcp === true
      ? `
  - type: mcp
    namespace: ${ns}-mcp
    port: 9090
    transport: http
    tools:${tools.join('')}`
      : '';
  return `naftiko: 1.0.0-alpha2
info:
  label: ${options.label ?? 'Generated capability'}
  description: ${options.description ?? `${count} generated operations for the boot benchmark.`}
binds:
- namespace: env
  keys:
    LABEL_STUDIO_API_KEY: LABEL_STUDIO_API_KEY
capability:
  consumes:
  - type: http
    namespace: ${ns}
    baseUri: http://127.0.0.1:9
    resources:${consumed.join('')}
    authentication:
      type: apikey
      key: Authorization
      value: 'Token {{env.LABEL_STUDIO_API_KEY}}'
      placement: header
  exposes:
  - type: rest
    namespace: ${ns}-rest
    port: 8080
    resources:${exposed.join('')}${mcp}
`;
}
