// A process's JSON, made once per change of the process instead of once per request: every change
// replaces its snapshot (or its definition, or its output error) with a new value, so the text made
// for a snapshot holds as long as the three are the ones it was made from.
import type { ProcessSnapshot } from '../core/processModel.js';
import type { ProcessDefinition } from '../core/processDefinition.js';
import type { ProcessReading } from '../supervisor/managedProcess.js';
import { entityTagOf } from './entityTags.js';
import { processView } from './processView.js';
import type { ProcessJson } from './schemas/processSchemas.js';

interface Made {
  readonly definition: ProcessDefinition;
  readonly outputError: string | null;
  readonly json: string;
  /** GET /processes/{id}'s answer and its ETag, made at the first read of this version. */
  answer?: ProcessAnswer;
}

export interface ProcessAnswer {
  /** As UTF-8, with the newline every JSON answer ends with: the bytes sent, as they are sent. */
  readonly body: Buffer;
  readonly tag: string;
}

const madeFor = new WeakMap<ProcessSnapshot, Made>();

export function processJsonOf(reading: ProcessReading, serialize: (view: ProcessJson) => string): string {
  return madeOf(reading, serialize).json;
}

/** `{"processes":[<the process>]}` and its tag: the answer to a read of this one process. */
export function processAnswerOf(reading: ProcessReading, serialize: (view: ProcessJson) => string): ProcessAnswer {
  const made = madeOf(reading, serialize);
  if (made.answer) return made.answer;
  const body = Buffer.from(`{"processes":[${made.json}]}\n`, 'utf8');
  made.answer = { body, tag: entityTagOf(body) };
  return made.answer;
}

function madeOf(reading: ProcessReading, serialize: (view: ProcessJson) => string): Made {
  const made = madeFor.get(reading.snapshot);
  if (made && made.definition === reading.definition && made.outputError === reading.outputError) return made;
  const fresh: Made = { definition: reading.definition, outputError: reading.outputError, json: serialize(processView(reading)) };
  madeFor.set(reading.snapshot, fresh);
  return fresh;
}
