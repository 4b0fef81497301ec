/**
 * Upstream URL building: every path parameter encoded, dot segments refused,
 * only declared query parameters, credentials placed as configured.
 */
import t from 'tap';
import { loadCapabilityText } from '../../src/capability/index.js';
import { buildUpstreamPath } from '../../src/upstream/url.js';
import { GatewayError } from '../../src/core/errors.js';

const YAML = `
naftiko: 1.0.0-alpha2
info: { label: url test }
capability:
  consumes:
  - type: http
    namespace: files
    baseUri: http://127.0.0.1:9/storage/v2/
    authentication: { type: apikey, key: api_key, value: 'k&y=1', placement: query }
    resources:
    - name: file
      path: /buckets/{bucket}/files/{{name}}
      operations:
      - name: get
        method: GET
        inputParameters:
        - { name: bucket, in: path, type: string }
        - { name: name, in: path, type: string }
        - { name: version, in: query, type: string }
  exposes:
  - type: rest
    port: 8080
    resources:
    - path: /v1/buckets/{bucket}/files/{name}
      operations:
      - method: GET
        call: files.get
`;

const { capability } = loadCapabilityText('url-test.yaml', YAML, { env: {} });
const op = capability.operations.get('files.get')!;

const cases: { name: string; values: Record<string, unknown>; want?: string; error?: RegExp }[] = [
  { name: 'plain values', values: { bucket: 'b1', name: 'a.txt' }, want: '/storage/v2/buckets/b1/files/a.txt?api_key=k%26y%3D1' },
  { name: 'slash is encoded', values: { bucket: 'b1', name: 'a/b' }, want: '/storage/v2/buckets/b1/files/a%2Fb?api_key=k%26y%3D1' },
  { name: 'backslash and space', values: { bucket: 'b\\1', name: 'x y' }, want: '/storage/v2/buckets/b%5C1/files/x%20y?api_key=k%26y%3D1' },
  { name: 'encoded traversal stays encoded', values: { bucket: 'b1', name: '../../etc/passwd' }, want: '/storage/v2/buckets/b1/files/..%2F..%2Fetc%2Fpasswd?api_key=k%26y%3D1' },
  { name: 'CRLF is encoded', values: { bucket: 'b1', name: 'a\r\nX-Injected: 1' }, want: '/storage/v2/buckets/b1/files/a%0D%0AX-Injected%3A%201?api_key=k%26y%3D1' },
  { name: 'query values encoded', values: { bucket: 'b', name: 'n', version: '1&admin=true' }, want: '/storage/v2/buckets/b/files/n?version=1%26admin%3Dtrue&api_key=k%26y%3D1' },
  { name: 'undeclared values ignored', values: { bucket: 'b', name: 'n', other: 'x' }, want: '/storage/v2/buckets/b/files/n?api_key=k%26y%3D1' },
  { name: '.. refused', values: { bucket: '..', name: 'n' }, error: /must not be empty, "." or ".."/ },
  { name: '. refused', values: { bucket: 'b', name: '.' }, error: /must not be/ },
  { name: 'empty refused', values: { bucket: '', name: 'n' }, error: /must not be/ },
  { name: 'object refused', values: { bucket: { a: 1 }, name: 'n' }, error: /scalar/ },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    if (c.want !== undefined) {
      const path = buildUpstreamPath(op, c.values);
      t.equal(path, c.want);
      t.ok(path.startsWith('/storage/v2/buckets/'), 'stays under the base path');
    } else {
      let caught: unknown;
      try {
        buildUpstreamPath(op, c.values);
      } catch (err) {
        caught = err;
      }
      t.ok(caught instanceof GatewayError, 'throws a GatewayError');
      t.equal((caught as GatewayError).status, 400);
      t.match((caught as GatewayError).message, c.error!);
    }
  });
}
