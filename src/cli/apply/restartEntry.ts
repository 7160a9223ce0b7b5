// The `restart` field of a process in an apply file: the API's names, with its defaults filled in
// so that it compares with what the daemon shows; `never` or null is no policy.
import { isMap, type Node } from 'yaml';
import { DEFINITION_LIMITS as LIMITS, RESTART_POLICY_NAMES } from '../definitionLimits.js';
import { isNullScalar, knownFields, scalarText, wholeNumber } from './yamlNodes.js';

export interface DesiredRestart {
  policy: 'on-failure' | 'always';
  delayMs: number;
  maxDelayMs: number;
  limit: { count: number; windowMs: number };
}

const FIELDS = ['policy', 'delayMs', 'maxDelayMs', 'limit'] as const;
const LIMIT_FIELDS = ['count', 'windowMs'] as const;

/** The policy, null for none, or undefined when a problem was reported. */
export function readRestart(node: Node | null, label: string, problem: (node: Node | null | undefined, message: string) => void): DesiredRestart | null | undefined {
  if (isNullScalar(node)) return null;
  if (!isMap(node)) {
    problem(node, `${label}.restart must be a mapping: policy: on-failure, and optionally delayMs, maxDelayMs, limit: {count, windowMs}`);
    return undefined;
  }
  let ok = true;
  const fail = (at: Node | null | undefined, message: string): void => {
    problem(at ?? node, message);
    ok = false;
  };
  const fields = knownFields(node, `${label}.restart`, FIELDS, fail);
  const policy = scalarText(fields.get('policy'));
  if (policy === null || !(RESTART_POLICY_NAMES as readonly string[]).includes(policy)) {
    fail(fields.get('policy'), `${label}.restart.policy must be one of ${RESTART_POLICY_NAMES.join(', ')}`);
  }
  const milliseconds = (field: string, fallback: number, max: number, at: Map<string, Node | null>, where: string): number => {
    if (!at.has(field)) return fallback;
    const value = wholeNumber(at.get(field), 1, max);
    if (value === null) fail(at.get(field), `${where}.${field} must be a whole number from 1 to ${max}`);
    return value ?? fallback;
  };
  const delayMs = milliseconds('delayMs', 1000, LIMITS.maxRestartDelayMs, fields, `${label}.restart`);
  const maxDelayMs = milliseconds('maxDelayMs', Math.max(60_000, delayMs), LIMITS.maxRestartDelayMs, fields, `${label}.restart`);
  if (delayMs > maxDelayMs) fail(fields.get('delayMs'), `${label}.restart.delayMs must not be above maxDelayMs (${maxDelayMs})`);
  const limit = { count: 5, windowMs: 60_000 };
  const limitNode = fields.get('limit');
  if (limitNode !== undefined && !isNullScalar(limitNode)) {
    if (!isMap(limitNode)) {
      fail(limitNode, `${label}.restart.limit must be a mapping: count, windowMs`);
    } else {
      const limitFields = knownFields(limitNode, `${label}.restart.limit`, LIMIT_FIELDS, fail);
      limit.count = milliseconds('count', 5, LIMITS.maxRestartLimitCount, limitFields, `${label}.restart.limit`);
      limit.windowMs = milliseconds('windowMs', 60_000, LIMITS.maxRestartLimitWindowMs, limitFields, `${label}.restart.limit`);
    }
  }
  if (!ok) return undefined;
  if (policy === 'never') return null;
  return { policy: policy as DesiredRestart['policy'], delayMs, maxDelayMs, limit };
}

export function sameRestart(a: DesiredRestart | null, b: DesiredRestart | null): boolean {
  if (a === null || b === null) return a === b;
  return a.policy === b.policy && a.delayMs === b.delayMs && a.maxDelayMs === b.maxDelayMs && a.limit.count === b.limit.count && a.limit.windowMs === b.limit.windowMs;
}
