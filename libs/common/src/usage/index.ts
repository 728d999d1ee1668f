/** LLM token usage and the monthly budget: `import { LlmUsageModule } from '@nixflex/common/usage'`. */
export * from './usage-store';
export * from './token-budget';
export * from './usage.module';
