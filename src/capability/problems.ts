/** A problem found in a capability file: where it is and what is wrong. */
export interface CapabilityProblem {
  readonly severity: 'error' | 'warning';
  /** YAML path such as `capability.exposes[0].resources[2].operations[0].call`. */
  readonly path: string;
  readonly message: string;
  /** 1-based line in the file, when the YAML node could be located. */
  line?: number;
}

/** ProblemList collects every problem of one file instead of stopping at the first. */
export class ProblemList {
  readonly items: CapabilityProblem[] = [];

  error(path: string, message: string): void {
    this.items.push({ severity: 'error', path, message });
  }

  warning(path: string, message: string): void {
    this.items.push({ severity: 'warning', path, message });
  }

  get errors(): CapabilityProblem[] {
    return this.items.filter((p) => p.severity === 'error');
  }

  get warnings(): CapabilityProblem[] {
    return this.items.filter((p) => p.severity === 'warning');
  }

  hasErrors(): boolean {
    return this.items.some((p) => p.severity === 'error');
  }
}

/** formatProblem renders `file:line: error: path: message`, the shape compilers use. */
export function formatProblem(file: string, problem: CapabilityProblem): string {
  const where = problem.line === undefined ? file : `${file}:${problem.line}`;
  return `${where}: ${problem.severity}: ${problem.path}: ${problem.message}`;
}

/** CapabilityError is thrown when a capability cannot be loaded; it carries every problem. */
export class CapabilityError extends Error {
  readonly file: string;
  readonly problems: readonly CapabilityProblem[];

  constructor(file: string, problems: readonly CapabilityProblem[]) {
    const errors = problems.filter((p) => p.severity === 'error');
    super(
      `${file}: ${errors.length} error(s) in capability\n` +
        errors.map((p) => '  ' + formatProblem(file, p)).join('\n'),
    );
    this.name = 'CapabilityError';
    this.file = file;
    this.problems = problems;
  }
}
