/**
 * A small Dockerfile reader for tests: instructions grouped by stage, with
 * line continuations joined, comments dropped, and `${ARG}` defaults expanded.
 * Enough to check invariants and to copy exactly what the image copies.
 */

/** Instruction is one Dockerfile instruction, e.g. `{ name: 'COPY', args: '--from=build /app/dist ./dist' }`. */
export interface Instruction {
  readonly name: string;
  readonly args: string;
  /** 1-based line where it starts. */
  readonly line: number;
}

/** Stage is one `FROM … [AS name]` and what follows it. */
export interface Stage {
  readonly image: string;
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

/** parseDockerfile splits a Dockerfile into stages. */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const args = new Map<string, string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let logical = lines[i] ?? '';
    if (/^\s*(#|$)/.test(logical)) continue;
    while (logical.endsWith('\\') && i + 1 < lines.length) {
      i++;
      const next = lines[i] ?? '';
      if (/^\s*#/.test(next)) continue;
      logical = logical.slice(0, -1) + ' ' + next.trim();
    }
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(logical);
    if (match === null) throw new Error(`Dockerfile line ${start + 1}: cannot parse "${logical}"`);
    const name = (match[1] as string).toUpperCase();
    const expanded = (match[2] as string).replace(/\$\{(\w+)\}/g, (whole, arg: string) => args.get(arg) ?? whole);
    if (name === 'ARG') {
      const [key, value] = expanded.split('=', 2);
      if (key !== undefined && value !== undefined) args.set(key.trim(), value.trim());
    }
    if (name === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(expanded.trim());
      stages.push({ image: from?.[1] ?? expanded, name: from?.[2], instructions: [] });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (stage === undefined) continue; // global ARGs before the first FROM
    stage.instructions.push({ name, args: expanded, line: start + 1 });
  }
  return stages;
}

/** CopyStep is a COPY: its sources, destination, and the stage it copies from (undefined: the build context). */
export interface CopyStep {
  readonly from: string | undefined;
  readonly sources: string[];
  readonly destination: string;
}

/** copySteps lists the COPY instructions of a stage. */
export function copySteps(stage: Stage): CopyStep[] {
  return stage.instructions
    .filter((i) => i.name === 'COPY')
    .map((i) => {
      const words = i.args.split(/\s+/).filter((w) => w !== '');
      const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
      const paths = words.filter((w) => !w.startsWith('--'));
      return { from, sources: paths.slice(0, -1), destination: paths[paths.length - 1] as string };
    });
}
