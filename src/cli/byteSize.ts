// Sizes in bytes as a person writes and reads them: 256Mi, 1G, 512K, 1048576.
// K, M, G, T are powers of 1000; Ki, Mi, Gi, Ti powers of 1024 (as Kubernetes spells them).
import { trimDecimal } from './displayValues.js';

const MULTIPLIERS: Record<string, number> = {
  '': 1,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  KI: 2 ** 10,
  MI: 2 ** 20,
  GI: 2 ** 30,
  TI: 2 ** 40,
};

const SIZE_PATTERN = /^(\d+(?:\.\d+)?)\s*([KMGT]i?)?B?$/i;

/** The number of bytes a size names, or null if it is not a size or not a whole number of bytes. */
export function parseByteSize(text: string): number | null {
  const match = SIZE_PATTERN.exec(text.trim());
  if (!match) return null;
  const multiplier = MULTIPLIERS[(match[2] ?? '').toUpperCase()];
  if (multiplier === undefined) return null;
  const bytes = Number(match[1]) * multiplier;
  return Number.isSafeInteger(bytes) ? bytes : null;
}

const BINARY_UNITS: Array<[string, number]> = [
  ['Ti', 2 ** 40],
  ['Gi', 2 ** 30],
  ['Mi', 2 ** 20],
  ['Ki', 2 ** 10],
];

/** 268435456 -> 256Mi, 1536 -> 1.5Ki, 100 -> 100B. */
export function formatByteSize(bytes: number): string {
  for (const [unit, size] of BINARY_UNITS) {
    if (bytes >= size) {
      const value = bytes / size;
      return `${Number.isInteger(value) ? value : trimDecimal(value)}${unit}`;
    }
  }
  return `${bytes}B`;
}
