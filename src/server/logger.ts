import pino, { type Logger } from 'pino';
import type { Config } from '../config';

export type { Logger };

/** Structured JSON logs on stdout; the process manager or the platform ships them. */
export function createLogger(config: Pick<Config, 'logLevel' | 'nodeEnv'>): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'storefront-api', env: config.nodeEnv },
    redact: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token'],
  });
}
