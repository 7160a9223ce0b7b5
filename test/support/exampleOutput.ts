// What may differ between a doc's example output and what a fresh clone prints, and nothing else:
// the rules, each for one field, and the comparison that applies them.

type Rule = readonly [pattern: RegExp, replacement: string];

const RULES: readonly Rule[] = [
  // The padding of a table's columns (`sigma ps`, `sigma show`), which follows the widest value.
  [/ {2,}/g, '  '],
  // A moment: a process's startedAt, nextReleaseAt, createdAt, a run's or lastExit's, an audit entry's.
  [/\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\b/g, '<time>'],
  // How far a moment is from now in the command line's tables: `in 492ms`, `(708ms ago)`; a next
  // release due this very instant reads `20ms ago`.
  [/\bin \d+(\.\d+)?(ms|s|m)\b|\b\d+(\.\d+)?(ms|s|m) ago\b/g, '<relative time>'],
  // How long the last job ran, in `sigma show`.
  [/, after \d+(\.\d+)?(ms|s|m)$/gm, ', after <duration>'],
  // A row of `sigma show`'s recent runs: its duration, pid and lateness.
  [/^(  <time> \(<relative time>\))  \d+(\.\d+)?(ms|s|m)  (exit \d+)  \d+  \d+(\.\d+)?ms$/gm, '$1  <duration>  $4  <pid>  <lateness>'],
  // A live job's pid in a `sigma ps` row (after its state), and a PERIODIC process's runs there.
  [/^(\d+  \S+  \S+  \S+  \S+  (RUNNING|SUSPENDEND))  \d+  /gm, '$1  <pid>  '],
  [/^(\d+  \S+  \S+  PERIODIC  \S+  \S+  \S+)  \d+  /gm, '$1  <runs>  '],
  // `sigma show`'s run count; the one shown is a PERIODIC's.
  [/^runs  \d+$/gm, 'runs  <runs>'],
  // A line of `date -u`, as a job writes it.
  [/^(.*)[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d UTC \d{4}$/gm, '$1<date>'],
  // The pid of a live job or of a run.
  [/"pid":\d+/g, '"pid":<pid>'],
  // The pid in `ls /proc/$PID` after its job ended.
  [/'\/proc\/\d+'/g, "'/proc/<pid>'"],
  // How long a job ran, and how late it started after its release point.
  [/"(durationMs|releaseLatenessMs)":\d+(\.\d+)?/g, '"$1":<ms>'],
  // A run's id: runs are counted over the whole node, heartbeat's included.
  [/\{"id":\d+,"pid"/g, '{"id":<run id>,"pid"'],
  // How many times a PERIODIC process ran by now (a ONE_SHOT's count is kept exact).
  [/("type":"PERIODIC".*?"runs":)\d+/g, '$1<runs>'],
  [/^(sigma_process_runs_total\{process_id="\d+",name="(heartbeat|ticker)"\}) \d+$/gm, '$1 <runs>'],
  // The node token a first start generates and prints (the README shows its first characters).
  [/^(generated the node token \(saved in \S+\)): \S+$/gm, '$1: <token>'],
  // The SHA-256 fingerprint of the certificate generated at the first start.
  [/^sha256 Fingerprint=(?:[0-9A-F]{2}:){31}[0-9A-F]{2}$/gm, 'sha256 Fingerprint=<fingerprint>'],
  // What a partition's cgroup has counted: CPU time and memory (its pids are kept exact).
  [/"usage":\{"cpuMs":\d+(\.\d+)?,"memoryBytes":\d+,/g, '"usage":{"cpuMs":<ms>,"memoryBytes":<bytes>,'],
  [/^cpu used  \d+(\.\d+)?(ms|s|m)$/gm, 'cpu used  <duration>'],
  [/^memory used  \d+(\.\d+)?(B|Ki|Mi|Gi)$/gm, 'memory used  <size>'],
  // The tests' own variable (SIGMA_TEST_LAUNCHER=in-process), which their daemon's jobs inherit.
  [/\n?^SIGMA_TEST_LAUNCHER=.*$/gm, ''],
  // The node's id, and the release point a PERIODIC job belongs to, in a job's environment.
  [/^SIGMA_NODE_ID=[A-Za-z0-9_-]+$/gm, 'SIGMA_NODE_ID=<node id>'],
  [/^SIGMA_RELEASE_AT_MS=\d+(\.\d+)?$/gm, 'SIGMA_RELEASE_AT_MS=<ms>'],
];

export function normalizeOutput(text: string): string {
  const lines = text
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((line) => line.replace(/\s+$/, ''));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return RULES.reduce((normalized, [pattern, replacement]) => normalized.replace(pattern, replacement), lines.join('\n'));
}

/**
 * Whether `printed` is what `documented` shows once both are normalized; a documented line `...`
 * stands for any number of printed lines (the headers `curl -i` prints before its body).
 */
export function outputMatches(documented: string, printed: string): boolean {
  const expected = normalizeOutput(documented).split('\n');
  const actual = normalizeOutput(printed).split('\n');
  const matchFrom = (e: number, a: number): boolean => {
    if (e === expected.length) return a === actual.length;
    if (expected[e] === '...') {
      for (let skip = a; skip <= actual.length; skip += 1) if (matchFrom(e + 1, skip)) return true;
      return false;
    }
    return a < actual.length && expected[e] === actual[a] && matchFrom(e + 1, a + 1);
  };
  return matchFrom(0, 0);
}
