export * from './redis.settings';
export * from './redis.module';
export * from './redis-probe';
export * from './window-limiter';
