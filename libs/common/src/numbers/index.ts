/** Phone-number resolution for every service: `import { NumberResolver } from '@nixflex/common/numbers'`. */
export * from './ttl-cache';
export * from './number-resolver';
export * from './number-resolver.module';
