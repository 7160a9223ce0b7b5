// The known word a mistyped one most likely meant, for "did you mean ...?".
import { describe, expect, it } from 'vitest';
import { editDistance, nearestWord } from '../../src/core/nearestWord.js';

const CREATE_FIELDS = ['name', 'type', 'period', 'state', 'command', 'cwd', 'env', 'stopTimeoutMs', 'restart', 'nice', 'partition'];

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['', 'abc', 3],
    ['abc', '', 3],
    ['command', 'command', 0],
    ['comand', 'command', 1],
    ['perod', 'period', 1],
    ['kitten', 'sitting', 3],
    ['ab', 'ba', 2],
  ])('%j to %j: %d', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});

describe('nearestWord', () => {
  it('suggests a field within two edits, case aside', () => {
    expect(nearestWord('comand', CREATE_FIELDS)).toBe('command');
    expect(nearestWord('perod', CREATE_FIELDS)).toBe('period');
    expect(nearestWord('Command', CREATE_FIELDS)).toBe('command');
    expect(nearestWord('stoptimeoutms', CREATE_FIELDS)).toBe('stopTimeoutMs');
    expect(nearestWord('operaton', ['operation', 'type', 'delayMs'])).toBe('operation');
  });

  it('takes the closest, not the first listed within reach', () => {
    // "stae" is two edits from "name" and "type", one from "state".
    expect(nearestWord('stae', CREATE_FIELDS)).toBe('state');
  });

  it('takes a short form of three letters or more', () => {
    expect(nearestWord('memory', ['name', 'maxRunning', 'cpu', 'memoryBytes', 'pids'])).toBe('memoryBytes');
    expect(nearestWord('stop', CREATE_FIELDS)).toBe('stopTimeoutMs');
    expect(nearestWord('pa', ['partition'])).toBeNull();
  });

  it('suggests nothing for a word that is not near any', () => {
    expect(nearestWord('colour', CREATE_FIELDS)).toBeNull();
    expect(nearestWord('timeout', CREATE_FIELDS)).toBeNull();
    expect(nearestWord('anything', [])).toBeNull();
  });
});
