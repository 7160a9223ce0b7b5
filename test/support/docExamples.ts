// Reads a doc's examples: each ```sh block and the output block right after it if there is one,
// each command of a terminal transcript (an unlabelled or `console` block of `$ command` lines, each
// followed by what it printed), and the `<!-- example: not run (why) -->` mark that may stand right before
// either. A block indented under a list item counts, read without its indent.

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
const COMMAND_FENCE = /^(\s*)```sh$/;
const PROMPT = '$ ';

/** Each `$ command` of a transcript with the lines up to the next one as its output. */
function transcriptExamples(body: string, firstLineNumber: number, notRun: string | null): DocExample[] {
  const examples: DocExample[] = [];
  body.split('\n').forEach((line, index) => {
    const last = examples[examples.length - 1];
    if (line.startsWith(PROMPT)) examples.push({ lineNumber: firstLineNumber + index, command: line.slice(PROMPT.length), expected: '', notRun });
    else if (last) last.expected = last.expected === '' ? line : `${last.expected}\n${line}`;
  });
  return examples;
}

export function docExamples(text: string): DocExample[] {
  const lines = text.split('\n');
  const examples: DocExample[] = [];
  // A fenced block's body without its indent, from the line after its fence up to its closing fence.
  const block = (fence: number, indent: string): { body: string; end: number } => {
    const end = lines.findIndex((line, index) => index > fence && line === `${indent}\`\`\``);
    if (end === -1) throw new Error(`the block at line ${fence + 1} is never closed`);
    return { body: lines.slice(fence + 1, end).map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line)).join('\n'), end };
  };
  for (let index = 0; index < lines.length; index += 1) {
    const markOf = (fenceIndex: number): string | null => NOT_RUN_MARK.exec((lines[fenceIndex - 1] ?? '').trim())?.[1] ?? null;
    const transcriptFence = /^(\s*)```(console)?$/.exec(lines[index] as string);
    if (transcriptFence && (lines[index + 1] ?? '').trim().startsWith(PROMPT)) {
      const transcript = block(index, transcriptFence[1] as string);
      examples.push(...transcriptExamples(transcript.body, index + 2, markOf(index)));
      index = transcript.end;
      continue;
    }
    const fence = COMMAND_FENCE.exec(lines[index] as string);
    if (!fence) continue;
    const indent = fence[1] as string;
    const command = block(index, indent);
    // Output blocks are unlabelled, or `json` where the output is JSON, at the command's indent; a
    // transcript right after is not an output.
    const outputFence = lines[command.end + 1] ?? '';
    const isOutput = (outputFence === `${indent}\`\`\`` && !(lines[command.end + 2] ?? '').trim().startsWith(PROMPT)) || outputFence === `${indent}\`\`\`json`;
    const output = isOutput ? block(command.end + 1, indent) : null;
    examples.push({ lineNumber: index + 1, command: command.body, expected: output?.body ?? null, notRun: markOf(index) });
    index = output?.end ?? command.end;
  }
  return examples;
}

/** The first unlabelled block between a `## heading` and the next: output the doc shows on its own. */
export function sectionOutput(text: string, heading: string): string {
  const lines = text.split('\n');
  const start = lines.indexOf(`## ${heading}`);
  if (start === -1) throw new Error(`no section "## ${heading}"`);
  for (let index = start + 1; index < lines.length && !(lines[index] as string).startsWith('## '); index += 1) {
    const fence = /^```(\S*)$/.exec(lines[index] as string);
    if (!fence) continue;
    const end = lines.findIndex((line, after) => after > index && line === '```');
    if (fence[1] === '') return lines.slice(index + 1, end).join('\n');
    index = end;
  }
  throw new Error(`no output block under "## ${heading}"`);
}
