/**
 * The shell commands of a Markdown document: every line of its fenced `sh` blocks, in order, with the
 * line number, the command as written and the command without its trailing comment.
 */

export interface ReadmeCommand {
  /** 1-based line of the command in the document. */
  line: number;
  /** The line as written (what is run). */
  text: string;
  /** Without the trailing `# comment` and surrounding spaces (what a step is matched on). */
  command: string;
}

/** Strips a trailing comment: a `#` at the start or after whitespace, outside quotes. */
export function withoutComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i).trim();
  }
  return line.trim();
}

/** The commands of every fenced block opened with ```sh (or ```bash, ```shell), skipping blank and comment-only lines. */
export function shellCommands(markdown: string): ReadmeCommand[] {
  const out: ReadmeCommand[] = [];
  let inShell = false;
  let inOther = false;
  markdown.split("\n").forEach((raw, index) => {
    const fence = /^\s*```\s*(\S*)/.exec(raw);
    if (fence) {
      if (inShell || inOther) {
        inShell = inOther = false;
      } else if (["sh", "bash", "shell"].includes(fence[1]!)) {
        inShell = true;
      } else {
        inOther = true;
      }
      return;
    }
    if (!inShell) return;
    const command = withoutComment(raw);
    if (command !== "") out.push({ line: index + 1, text: raw.trim(), command });
  });
  return out;
}
