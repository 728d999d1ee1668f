/** Caller history across channels: `import { CallerHistoryClient } from '@nixflex/common/history'`. */
export * from './caller-history.client';
