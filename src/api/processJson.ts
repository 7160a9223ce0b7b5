// A process's JSON, made once per change of the process instead of once per request: every change
// replaces its snapshot (or its definition, or its output error) with a new value, so the text made
// for a snapshot holds as long as the three are the ones it was made from.
import type { ProcessSnapshot } from '../core/processModel.js';
import type { ProcessDefinition } from '../core/processDefinition.js';
import type { ProcessReading } from '../supervisor/managedProcess.js';
import { processView } from './processView.js';
import type { ProcessJson } from './schemas/processSchemas.js';

interface Made {
  readonly definition: ProcessDefinition;
  readonly outputError: string | null;
  readonly json: string;
}

const madeFor = new WeakMap<ProcessSnapshot, Made>();

export function processJsonOf(reading: ProcessReading, serialize: (view: ProcessJson) => string): string {
  const made = madeFor.get(reading.snapshot);
  if (made && made.definition === reading.definition && made.outputError === reading.outputError) return made.json;
  const json = serialize(processView(reading));
  madeFor.set(reading.snapshot, { definition: reading.definition, outputError: reading.outputError, json });
  return json;
}
