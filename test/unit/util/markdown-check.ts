/**
 * How a CommonMark/GFM renderer splits a document into fenced code blocks and the rest,
 * enough to check that host text cannot end a fence or open an HTML comment: a fence opens
 * with 3+ backticks (no backtick in its info string) or tildes, indented at most 3 spaces,
 * and closes only on a line of the same character at least as long, nothing else but spaces.
 */
export interface MarkdownBlocks {
  /** Lines outside any fenced code block. */
  prose: string[];
  /** Each fenced block's content lines. */
  fences: string[][];
  /** A fence still open at the end of the document (the rest of it became code). */
  unclosed: boolean;
}

export function markdownBlocks(doc: string): MarkdownBlocks {
  const out: MarkdownBlocks = { prose: [], fences: [], unclosed: false };
  let open: { char: string; length: number; lines: string[] } | null = null;
  for (const line of doc.split(/\r\n|\r|\n/)) {
    if (open) {
      const close = /^ {0,3}(`+|~+)[ \t]*$/.exec(line);
      if (close && close[1]![0] === open.char && close[1]!.length >= open.length) {
        out.fences.push(open.lines);
        open = null;
      } else {
        open.lines.push(line);
      }
      continue;
    }
    const start = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    if (start && !(start[1]![0] === '`' && start[2]!.includes('`'))) {
      open = { char: start[1]![0]!, length: start[1]!.length, lines: [] };
    } else {
      out.prose.push(line);
    }
  }
  if (open) {
    out.fences.push(open.lines);
    out.unclosed = true;
  }
  return out;
}
