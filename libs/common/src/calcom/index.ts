/** Cal.com API v2 client and time-zone helpers: `import { CalcomClient } from '@nixflex/common/calcom'`. */
export * from './calcom-client';
export * from './time';
