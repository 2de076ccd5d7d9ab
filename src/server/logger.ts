import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import type { Config } from '../config';

export type { Logger };

export type LogFormat = 'pretty' | 'json';

/**
 * Readable lines for a person at a terminal; JSON lines for everything that parses or ships
 * them (pipes, CI, tests, production), whatever the terminal.
 */
export function logFormat({ isTTY, nodeEnv }: { isTTY: boolean; nodeEnv: Config['nodeEnv'] }): LogFormat {
  return isTTY && nodeEnv === 'development' ? 'pretty' : 'json';
}

/**
 * pino-pretty is a devDependency, so an install with --omit=dev lacks it: then JSON it is, with
 * nothing said, since the logs are still complete.
 */
function prettyStream(): DestinationStream | undefined {
  let pretty: typeof PinoPretty;
  try {
    pretty = createRequire(__filename)('pino-pretty') as typeof PinoPretty;
  } catch {
    return undefined;
  }
  // Synchronous, so the last lines before process.exit (a stop, a failed start) are not lost.
  return pretty({ sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service,env' });
}

/** Structured logs on stdout; the process manager or the platform ships them. */
export function createLogger(config: Pick<Config, 'logLevel' | 'nodeEnv'>): Logger {
  const options = {
    level: config.logLevel,
    base: { service: 'storefront-api', env: config.nodeEnv },
    redact: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token'],
  };
  const format = logFormat({ isTTY: process.stdout.isTTY === true, nodeEnv: config.nodeEnv });
  const stream = format === 'pretty' ? prettyStream() : undefined;
  return stream ? pino(options, stream) : pino(options);
}
