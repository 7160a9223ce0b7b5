// A process as the operator defined it: everything but its run-time state.
import type { ProcessSpec } from './processModel.js';

export interface ProcessDefinition {
  readonly id: number;
  readonly name: string;
  /** The partition it belongs to, fixed at creation. */
  readonly partition: string;
  readonly spec: ProcessSpec;
  /** argv, executed without a shell. */
  readonly command: readonly string[];
  /** Set when the command is the executable of this name in the programs directory. */
  readonly program: string | null;
  readonly cwd: string | null;
  /** Added to the daemon's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** The jobs' scheduling priority (-20 to 19), set before exec; null: the launcher's own. */
  readonly nice: number | null;
  readonly createdAtMs: number;
}

export type NewProcessDefinition = Omit<ProcessDefinition, 'id'>;
