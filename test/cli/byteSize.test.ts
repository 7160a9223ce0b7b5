// Sizes as the --memory flag takes them and as the partition table shows them.
import { describe, expect, it } from 'vitest';
import { formatByteSize, parseByteSize } from '../../src/cli/byteSize.js';

describe('parseByteSize', () => {
  it.each([
    ['1048576', 1_048_576],
    ['256Mi', 268_435_456],
    ['256mi', 268_435_456],
    ['1Gi', 1_073_741_824],
    ['1.5Gi', 1_610_612_736],
    ['512M', 512_000_000],
    ['512MB', 512_000_000],
    ['2G', 2_000_000_000],
    ['4k', 4000],
    ['4Ki', 4096],
    ['1Ti', 2 ** 40],
    [' 64 Mi ', 67_108_864],
  ])('%s is %d bytes', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });

  it.each(['', 'Mi', '-1Mi', '1.5', '1.0000001Ki', '12 apples', '1Pi', '1e9', '0x10', '99999999999Ti'])('%j is not a size', (text) => {
    expect(parseByteSize(text)).toBeNull();
  });
});

describe('formatByteSize', () => {
  it.each([
    [268_435_456, '256Mi'],
    [1_073_741_824, '1Gi'],
    [1_610_612_736, '1.5Gi'],
    [1536, '1.5Ki'],
    [512_000_000, '488.3Mi'],
    [100, '100B'],
    [0, '0B'],
  ])('%d reads %s', (bytes, text) => {
    expect(formatByteSize(bytes)).toBe(text);
  });

  it('reads back as the same size when exact', () => {
    for (const bytes of [1_048_576, 268_435_456, 3 * 2 ** 30]) expect(parseByteSize(formatByteSize(bytes))).toBe(bytes);
  });
});
