// Colour for a terminal: only when stdout is one and NO_COLOR is unset (https://no-color.org).
import { styleText } from 'node:util';

type Style = Parameters<typeof styleText>[0];

export interface Painter {
  (style: Style, text: string): string;
}

export function painterFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): Painter {
  const colour = stream.isTTY === true && !env.NO_COLOR;
  return colour ? (style, text) => styleText(style, text) : (_style, text) => text;
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
