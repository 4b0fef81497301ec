/**
 * Shell blocks of a Markdown file, with the `<!-- readme-test: … -->` note that
 * may precede each: `skip: <reason>` (not runnable here, and why) or
 * `background until "<text>"` (a server: runs in the background until its
 * output shows the text).
 */

/** ShellBlock is one ```sh fenced block. */
export interface ShellBlock {
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly script: string;
  /** Why the block is not run here, when the README says so. */
  readonly skip: string | undefined;
  /** For a server block: the output text that means it is ready. */
  readonly readyText: string | undefined;
}

const NOTE = /^<!--\s*readme-test:\s*(.*?)\s*-->$/;
const BACKGROUND = /^background until "([^"]+)"$/;
const SKIP = /^skip:\s*(\S.*)$/;

/** shellBlocks lists the ```sh blocks of `markdown`; a malformed note throws, naming its line. */
export function shellBlocks(markdown: string): ShellBlock[] {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  let note: { text: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const match = NOTE.exec(line.trim());
    if (match !== null) {
      note = { text: match[1] as string, line: i + 1 };
      continue;
    }
    if (line.trim() === '') continue;
    if (!/^```(sh|bash|shell)\s*$/.test(line)) {
      if (line.startsWith('```')) {
        // Another language's block: skip its body so a ``` inside it is not read as an opening.
        for (i++; i < lines.length && !(lines[i] as string).startsWith('```'); i++);
      }
      note = undefined;
      continue;
    }
    const start = i + 1;
    const body: string[] = [];
    for (i++; i < lines.length && !(lines[i] as string).startsWith('```'); i++) body.push(lines[i] as string);
    let skip: string | undefined;
    let readyText: string | undefined;
    if (note !== undefined) {
      const s = SKIP.exec(note.text);
      const b = BACKGROUND.exec(note.text);
      if (s !== null) skip = s[1];
      else if (b !== null) readyText = b[1];
      else throw new Error(`line ${note.line}: readme-test note must be 'skip: <reason>' or 'background until "<text>"', got "${note.text}"`);
    }
    blocks.push({ line: start, script: body.join('\n'), skip, readyText });
    note = undefined;
  }
  return blocks;
}
