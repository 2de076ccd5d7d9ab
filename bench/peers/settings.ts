/** The environment bench/run.ts starts a lean peer with (modes.ts sets it). */
export interface PeerSettings {
  databaseUrl: string;
  poolMax: number;
  redisUrl: string;
  /** A key prefix (or Keyv namespace) no other process has used: the run deletes its keys by it. */
  keySpace: string;
}

export function peerSettings(env: NodeJS.ProcessEnv = process.env): PeerSettings {
  const required = (name: string) => {
    const value = env[name];
    if (!value) throw new Error(`${name} is required (the benchmark driver sets it)`);
    return value;
  };
  const poolMax = Number(env.DATABASE_POOL_MAX ?? 10);
  if (!Number.isInteger(poolMax) || poolMax <= 0) throw new Error(`DATABASE_POOL_MAX must be a positive integer; got ${env.DATABASE_POOL_MAX}`);
  return {
    databaseUrl: required('DATABASE_URL'),
    poolMax,
    redisUrl: required('BENCH_PEER_REDIS_URL'),
    keySpace: required('BENCH_PEER_KEY_SPACE'),
  };
}
