// Every request of the load, by kind: how long it took, what came back, and which answers were
// errors. An expected answer (a 409 for a name another client took, a 404 for a process another
// client deleted) is counted, not an error; any other non-2xx or a request without an answer is.
import { summarize, type Summary } from './latencySummary.js';

export const REQUEST_KINDS = [
  'list',
  'get',
  'runs',
  'metrics',
  'pool-create',
  'pool-start',
  'pool-stop',
  'pool-suspend',
  'pool-resume',
  'pool-delete',
  'periodic-suspend',
  'periodic-resume',
] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export interface SlowRequest {
  readonly kind: RequestKind;
  readonly request: string;
  readonly sentAtS: number;
  readonly latencyMs: number;
}

export interface RequestError {
  readonly kind: RequestKind;
  readonly request: string;
  readonly status: number | null;
  readonly detail: string;
  readonly atS: number;
}

interface KindRecord {
  readonly latenciesMs: number[];
  expected: number;
  /** 200 answers to an operation whose result was FAILED (e.g. "a job ... is being launched or stopped"). */
  failedOperations: number;
  errors: number;
}

export interface KindFigures {
  readonly requests: number;
  readonly latencyMs: Summary;
  readonly expectedNon2xx: number;
  readonly failedOperations: number;
  readonly errors: number;
}

const ERRORS_KEPT = 50;
const SLOWEST_KEPT = 10;

export class RequestLedger {
  private readonly kinds = new Map<RequestKind, KindRecord>();
  readonly errorSamples: RequestError[] = [];
  /** The slowest answers, slowest first: when they were sent shows whether they bunch up. */
  readonly slowest: SlowRequest[] = [];
  errorCount = 0;

  constructor(private readonly startMs: number) {
    for (const kind of REQUEST_KINDS) this.kinds.set(kind, { latenciesMs: [], expected: 0, failedOperations: 0, errors: 0 });
  }

  answered(kind: RequestKind, latencyMs: number, request: string): void {
    this.record(kind).latenciesMs.push(latencyMs);
    const slowest = this.slowest;
    if (slowest.length < SLOWEST_KEPT || latencyMs > (slowest[slowest.length - 1] as SlowRequest).latencyMs) {
      const sentAtS = (performance.now() - latencyMs - this.startMs) / 1000;
      slowest.push({ kind, request, sentAtS: Math.round(sentAtS * 10) / 10, latencyMs: Math.round(latencyMs) });
      slowest.sort((a, b) => b.latencyMs - a.latencyMs);
      if (slowest.length > SLOWEST_KEPT) slowest.pop();
    }
  }

  expected(kind: RequestKind): void {
    this.record(kind).expected += 1;
  }

  failedOperation(kind: RequestKind): void {
    this.record(kind).failedOperations += 1;
  }

  error(kind: RequestKind, request: string, status: number | null, detail: string): void {
    this.record(kind).errors += 1;
    this.errorCount += 1;
    if (this.errorSamples.length < ERRORS_KEPT) {
      this.errorSamples.push({ kind, request, status, detail: detail.slice(0, 300), atS: (performance.now() - this.startMs) / 1000 });
    }
  }

  get totalRequests(): number {
    let total = 0;
    for (const record of this.kinds.values()) total += record.latenciesMs.length;
    return total;
  }

  figures(): { overall: KindFigures; byKind: Record<RequestKind, KindFigures> } {
    const byKind = {} as Record<RequestKind, KindFigures>;
    const all: number[] = [];
    let expectedNon2xx = 0;
    let failedOperations = 0;
    let errors = 0;
    for (const [kind, record] of this.kinds) {
      byKind[kind] = {
        requests: record.latenciesMs.length,
        latencyMs: summarize(record.latenciesMs),
        expectedNon2xx: record.expected,
        failedOperations: record.failedOperations,
        errors: record.errors,
      };
      for (const latencyMs of record.latenciesMs) all.push(latencyMs);
      expectedNon2xx += record.expected;
      failedOperations += record.failedOperations;
      errors += record.errors;
    }
    const overall = { requests: all.length, latencyMs: summarize(all), expectedNon2xx, failedOperations, errors };
    return { overall, byKind };
  }

  private record(kind: RequestKind): KindRecord {
    return this.kinds.get(kind) as KindRecord;
  }
}
