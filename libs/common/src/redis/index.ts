export * from './redis.settings';
export * from './redis.module';
