// Reads a doc's examples: each ```sh block, the output block right after it if there is one, and
// the `<!-- example: not run (why) -->` mark that may stand right before it.

export interface DocExample {
  /** The line of the ```sh fence, for messages. */
  lineNumber: number;
  command: string;
  /** The output block's text, null when the command has none. */
  expected: string | null;
  /** Why the example is not run, from its mark; null when it is run. */
  notRun: string | null;
}

const NOT_RUN_MARK = /^<!-- example: not run \((.+)\) -->$/;
/** Output blocks are unlabelled, or `json` where the output is JSON. */
const OUTPUT_FENCE = /^```(json)?$/;

export function docExamples(text: string): DocExample[] {
  const lines = text.split('\n');
  const examples: DocExample[] = [];
  // A fenced block's body, from the line after its fence up to its closing fence.
  const block = (fence: number): { body: string; end: number } => {
    const end = lines.findIndex((line, index) => index > fence && line === '```');
    if (end === -1) throw new Error(`the block at line ${fence + 1} is never closed`);
    return { body: lines.slice(fence + 1, end).join('\n'), end };
  };
  for (let index = 0; index < lines.length; index += 1) {
    if (lines[index] !== '```sh') continue;
    const command = block(index);
    const mark = NOT_RUN_MARK.exec(lines[index - 1] ?? '');
    const output = OUTPUT_FENCE.test(lines[command.end + 1] ?? '') ? block(command.end + 1) : null;
    examples.push({ lineNumber: index + 1, command: command.body, expected: output?.body ?? null, notRun: mark?.[1] ?? null });
    index = output?.end ?? command.end;
  }
  return examples;
}
