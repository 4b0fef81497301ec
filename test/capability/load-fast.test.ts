// The fast YAML path (js-yaml) must read every capability exactly as the reference `yaml` parser does.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseDocument } from 'yaml';
import { generateCapability } from '../../bench/generate-capability.js';
import { parseCapabilityText } from '../../src/capability/load.js';
import { CapabilityError } from '../../src/capability/problems.js';

const ROOT = join(import.meta.dirname, '..', '..');
const fixtures = join(ROOT, 'test', 'fixtures', 'capabilities');

function reference(text: string): unknown {
  return parseDocument(text, { uniqueKeys: true }).toJS({ maxAliasCount: 100 }) as unknown;
}

t.test('same value as yaml for every capability file', async (t) => {
  const files = [join(ROOT, 'capability.yaml'), join(ROOT, 'bench', 'capability.yaml'), ...readdirSync(fixtures).filter((f) => f.endsWith('.yaml')).map((f) => join(fixtures, f))];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    t.same(parseCapabilityText(file, text).value, reference(text), file);
  }
  const generated = generateCapability(30);
  t.same(parseCapabilityText('generated.yaml', generated).value, reference(generated), 'generated capability');
});

t.test('YAML 1.2 core scalars read the same', async (t) => {
  const text = 'a: 2026-05-19\nb: yes\nc: 0o14\nd: 0x1F\ne: .inf\nf: ~\ng: "1"\nh: 1e3\ni: on\nj: 012\n';
  t.same(parseCapabilityText('s.yaml', text).value, reference(text));
});

t.test('lines are found lazily, and errors come from yaml', async (t) => {
  const source = parseCapabilityText('l.yaml', 'a:\n  b:\n    - c: 1\n');
  t.equal(source.lineOf('a.b[0].c'), 3);
  const err = t.throws(() => parseCapabilityText('dup.yaml', 'a: 1\na: 2\n')) as CapabilityError;
  t.ok(err instanceof CapabilityError, 'duplicate keys are a CapabilityError');
  t.equal(err.problems[0]?.message, 'Map keys must be unique', 'the message is yaml\'s');
});

t.test('anchors and aliases go through yaml (alias expansion stays bounded)', async (t) => {
  const text = 'x: &v [1, 2]\ny: *v\n';
  t.same(parseCapabilityText('a.yaml', text).value, { x: [1, 2], y: [1, 2] });
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`)].join('\n');
  t.throws(() => parseCapabilityText('bomb.yaml', bomb), 'a billion-laughs document is refused');
});
