// The doc examples' comparison forgives only what differs on each machine, and each rule one field.
import { describe, expect, it } from 'vitest';
import { docExamples } from '../support/docExamples.js';
import { outputMatches } from '../support/exampleOutput.js';

const PROCESS = (fields: string): string =>
  `{"processes":[{"id":3,"name":"ticker","state":"WAITING","type":"PERIODIC",${fields},"createdAt":"2026-11-27T23:36:43.821Z"}]}`;

describe('an example output compared with what was printed', () => {
  it('forgives pids, times, durations, a PERIODIC run count, run ids, the node id and release points', () => {
    expect(outputMatches(PROCESS('"pid":31110,"runs":4'), PROCESS('"pid":7,"runs":5').replace('43.821Z', '59.001Z'))).toBe(true);
    expect(outputMatches('{"runs":[{"id":36,"pid":1,"durationMs":5.232,"releaseLatenessMs":9.341}]}', '{"runs":[{"id":2,"pid":9,"durationMs":12,"releaseLatenessMs":0.5}]}')).toBe(true);
    expect(outputMatches('SIGMA_NODE_ID=2mmFQSVBGXCAvr_T\nSIGMA_RELEASE_AT_MS=1795822609527.253', 'SIGMA_NODE_ID=x-Y_z\nSIGMA_RELEASE_AT_MS=1\n')).toBe(true);
    expect(outputMatches(`sha256 Fingerprint=${'6E:'.repeat(31)}8E`, `sha256 Fingerprint=${'A0:'.repeat(31)}01`)).toBe(true);
    expect(outputMatches(`sha256 Fingerprint=${'6E:'.repeat(31)}8E`, `sha256 Fingerprint=${'A0:'.repeat(30)}01`)).toBe(false);
    expect(outputMatches("Fri Nov 27 23:36:45 UTC 2026\nls: cannot access '/proc/30908': No such file", "Mon Dec  7 06:10:04 UTC 2026\nls: cannot access '/proc/1': No such file")).toBe(true);
  });

  it("forgives a `sigma ps` row's padding, live pid, PERIODIC runs and next release, and nothing else of it", () => {
    const row = (pid: string, runs: string, next: string): string => `6   ticker  default  PERIODIC  1s  RUNNING  ${pid}  ${runs}  0  0  ${next}`;
    expect(outputMatches(row('8456', '9', 'in 492ms'), row('123456', '13', 'in 7ms'))).toBe(true);
    expect(outputMatches(row('8456', '9', 'in 492ms'), row('8456', '9', '20ms ago'))).toBe(true);
    expect(outputMatches(row('8456', '9', 'in 492ms'), row('8456', '9', 'soon'))).toBe(false);
    expect(outputMatches(row('8456', '9', 'in 492ms'), row('8456', '9', 'in 492ms').replace('RUNNING', 'WAITING'))).toBe(false);
    expect(outputMatches('7   web  default  ONE_SHOT  -  RUNNING  8456  1  0  -  -', '7   web  default  ONE_SHOT  -  RUNNING  8456  2  0  -  -')).toBe(false);
    expect(outputMatches('  2026-11-27T23:37:09.309Z (709ms ago)  1ms  exit 0  5954  14.0ms', '  2026-12-07T06:17:39.311Z (2.7s ago)  16ms  exit 0  17990  0.1ms')).toBe(true);
    expect(outputMatches('  2026-11-27T23:37:09.309Z (709ms ago)  1ms  exit 0  5954  14.0ms', '  2026-12-07T06:17:39.311Z (2.7s ago)  16ms  exit 1  17990  0.1ms')).toBe(false);
  });

  it("forgives what a partition's cgroup counted of CPU and memory, not its pids", () => {
    const usage = (cpuMs: string, memoryBytes: string, pids: number): string => `{"usage":{"cpuMs":${cpuMs},"memoryBytes":${memoryBytes},"pids":${pids}}}`;
    expect(outputMatches(usage('1049.352', '262144', 1), usage('0', '786432', 1))).toBe(true);
    expect(outputMatches(usage('1049.352', '262144', 1), usage('1049.352', '262144', 2))).toBe(false);
    expect(outputMatches('cpu used          3ms\nmemory used       44Ki\npids used         1', 'cpu used  1.2s\nmemory used  264Ki\npids used  1')).toBe(true);
    expect(outputMatches('pids used         1', 'pids used  3')).toBe(false);
  });

  it("forgives the first start's generated token, and the tests' own variable in a job's environment", () => {
    expect(outputMatches('generated the node token (saved in /x/sigma-data/token): Zq3...', 'generated the node token (saved in /x/sigma-data/token): IyIRv7Cw')).toBe(true);
    expect(outputMatches('generated the node token (saved in /x/sigma-data/token): Zq3...', 'generated the node token (saved in /y/sigma-data/token): IyIRv7Cw')).toBe(false);
    expect(outputMatches('201\nSIGMA_PROCESS_ID=5', '201\nSIGMA_PROCESS_ID=5\nSIGMA_TEST_LAUNCHER=in-process\n')).toBe(true);
    expect(outputMatches('201\nSIGMA_PROCESS_ID=5', '201\nSIGMA_PROCESS_ID=5\nSIGMA_OTHER=1')).toBe(false);
  });

  it('holds states, ids, counts of a ONE_SHOT, codes and messages to the letter', () => {
    expect(outputMatches(PROCESS('"pid":1,"runs":4'), PROCESS('"pid":1,"runs":4').replace('WAITING', 'RUNNING'))).toBe(false);
    expect(outputMatches(PROCESS('"pid":1'), PROCESS('"pid":1').replace('"id":3', '"id":4'))).toBe(false);
    expect(outputMatches('{"type":"ONE_SHOT","runs":1}', '{"type":"ONE_SHOT","runs":2}')).toBe(false);
    expect(outputMatches('{"at":"2026-11-27T23:36:43.821Z","status":409}', '{"at":"2026-11-27T23:36:43.821Z","status":400}')).toBe(false);
    expect(outputMatches('{"at":"2026-11-27T23:36:43.821Z"}', '{"at":"not a time"}')).toBe(false);
    expect(outputMatches('201', '201\n404')).toBe(false);
  });

  it('takes a documented `...` line for any number of printed lines, and only that', () => {
    expect(outputMatches('HTTP/1.1 201 Created\n...\n{}', 'HTTP/1.1 201 Created\r\nlocation: /x\r\n\r\n{}')).toBe(true);
    expect(outputMatches('HTTP/1.1 201 Created\n...\n{}', 'HTTP/1.1 201 Created\n{}')).toBe(true);
    expect(outputMatches('HTTP/1.1 201 Created\n...\n{}', 'HTTP/1.1 400 Bad Request\n\n{}')).toBe(false);
  });
});

describe("a doc's examples", () => {
  it('pairs each sh block with the output block right after it, and reads the not-run mark before it', () => {
    const doc = ['Text', '```sh', 'echo a', '```', '```json', '{"a":1}', '```', '', '<!-- example: not run (needs a browser) -->', '```sh', 'open x', '```', 'prose', '```', 'not an output', '```'].join('\n');
    expect(docExamples(doc)).toEqual([
      { lineNumber: 2, command: 'echo a', expected: '{"a":1}', notRun: null },
      { lineNumber: 10, command: 'open x', expected: null, notRun: 'needs a browser' },
    ]);
  });
});
