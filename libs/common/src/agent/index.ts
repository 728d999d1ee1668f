/** The agent's reply layer, shared by SMS and voice: `import { AgentReplyGenerator } from '@nixflex/common/agent'`. */
export * from './prompt';
export * from './llm-settings';
export * from './llm-client';
export * from './agent-reply.generator';
export * from './agent.module';
export * from './greeting';
export * from './post-call-template';
export * from './tools';
export * from './action-tags';
export * from './llm-failure';
export * from './usage';
