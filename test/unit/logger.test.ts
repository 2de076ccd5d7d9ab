import { logFormat } from '../../src/server/logger';

describe('log format', () => {
  it.each([
    { isTTY: true, nodeEnv: 'development', expected: 'pretty' },
    { isTTY: false, nodeEnv: 'development', expected: 'json' },
    { isTTY: true, nodeEnv: 'production', expected: 'json' },
    { isTTY: false, nodeEnv: 'production', expected: 'json' },
    { isTTY: true, nodeEnv: 'test', expected: 'json' },
    { isTTY: false, nodeEnv: 'test', expected: 'json' },
  ] as const)('is $expected when stdout is a TTY: $isTTY and NODE_ENV=$nodeEnv', ({ isTTY, nodeEnv, expected }) => {
    expect(logFormat({ isTTY, nodeEnv })).toBe(expected);
  });
});
