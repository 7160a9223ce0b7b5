// Colour for a terminal: only when stdout is one that says it shows colour (TERM set and not
// "dumb"), and NO_COLOR is unset (https://no-color.org); FORCE_COLOR forces it on a terminal.
import { styleText } from 'node:util';

type Style = Parameters<typeof styleText>[0];

export interface Painter {
  (style: Style, text: string): string;
}

export function painterFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): Painter {
  const colour = stream.isTTY === true && stream.hasColors(env);
  // The decision is made here, for the stream given; styleText must not make it again for stdout.
  return colour ? (style, text) => styleText(style, text, { validateStream: false }) : (_style, text) => text;
}

const STATE_STYLES: Record<string, Style> = {
  RUNNING: 'green',
  WAITING: 'cyan',
  READY: 'yellow',
  SUSPENDEND: 'magenta',
  DORMANT: 'gray',
};

export function paintState(paint: Painter, state: string): string {
  const style = STATE_STYLES[state];
  return style ? paint(style, state) : state;
}
