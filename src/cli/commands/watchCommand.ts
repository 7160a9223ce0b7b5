// `sigma watch [ID|NAME...]`: state changes and run ends as they happen, from GET /events.
import type { Command } from 'commander';
import type { SigmaEvent } from '../apiTypes.js';
import type { CliContext } from '../cliContext.js';
import type { ConnectionOptions } from '../clientConfig.js';
import { describeRunEnd, formatMs } from '../displayValues.js';
import { followEvents } from '../eventStream.js';
import type { SseMessage } from '../sseParser.js';
import { paintState, painterFor, type Painter } from '../terminalStyle.js';
import { displayable, escapeControls, jsonText } from '../terminalText.js';
import { clientCommand, clientFor } from './clientCommand.js';

interface WatchOptions extends ConnectionOptions {
  json?: boolean;
}

export function watchCommand(context: CliContext): Command {
  return clientCommand('watch', 'live state changes and run ends, until Ctrl-C', 'Print state changes and run ends live, as they happen, until Ctrl-C. Reconnects by itself if the connection drops.', [
    'sigma watch',
    'sigma watch ticker 4',
    'sigma watch --json | jq -c "select(.type == \\"run\\")"',
  ])
    .argument('[process...]', 'only these ids or names (default: every process)')
    .option('--json', 'print each event as one line of JSON, as the API sends it')
    .action(async (refs: string[], options: WatchOptions) => {
      const client = clientFor(options, context);
      const paint = painterFor(context.stdout, context.env);
      const wanted = (event: SigmaEvent): boolean =>
        refs.length === 0 || event.type === 'gap' || refs.some((ref) => (/^\d+$/.test(ref) ? event.processId === Number(ref) : event.name === ref));
      await followEvents(client, {
        interrupted: context.interrupted,
        onNotice: (text) => context.stderr.write(`sigma: ${escapeControls(text)}\n`),
        onConnected: () => context.stderr.write(`sigma: watching ${client.config.url.origin} (Ctrl-C ends)\n`),
        onMessage: (message: SseMessage) => {
          let event: SigmaEvent;
          try {
            event = JSON.parse(message.data) as SigmaEvent;
          } catch {
            return;
          }
          if (!wanted(event)) return;
          context.stdout.write(options.json ? `${jsonText(event)}\n` : `${eventLine(displayable(event), paint)}\n`);
        },
      });
    });
}

function eventLine(event: SigmaEvent, paint: Painter): string {
  const time = clockTime(event.at);
  const who = `${event.name ?? '?'} (id ${event.processId ?? '?'})`;
  switch (event.type) {
    case 'state':
      return `${time}  ${who}  ${event.from ?? '?'} -> ${paintState(paint, event.to ?? '?')}  (${event.reason ?? 'no reason'})`;
    case 'run':
      return event.run ? `${time}  ${who}  run ended: ${describeRunEnd(event.run)} after ${formatMs(event.run.durationMs)}` : `${time}  ${who}  run ended`;
    case 'deadlineMissed':
      return `${time}  ${who}  ${paint('yellow', 'deadline missed')}: pid ${event.pid ?? '?'} still running ${event.timeCapacityMs ?? '?'} ms after its release (${event.action === 'stop' ? 'stopped' : 'logged'})`;
    case 'created':
    case 'deleted':
    case 'updated':
      return `${time}  ${who}  ${event.type}`;
    case 'gap':
      return `${time}  ${paint('yellow', 'events were missed')} (${event.message ?? 'the buffer moved on'}): \`sigma ps\` shows the current states`;
    default:
      return `${time}  ${who}  ${event.type}`;
  }
}

/** HH:MM:SS.mmm in local time. */
function clockTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}
