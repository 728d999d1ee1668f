import { DynamicModule, Module, Provider } from '@nestjs/common';
import { config } from '../config';
import { AgentReplyGenerator } from './agent-reply.generator';
import { LlmClient } from './llm-client';
import { LLM_SETTINGS, LlmSettings } from './llm-settings';

/**
 * The agent's reply layer for any channel: `imports: [AgentModule.register()]`,
 * then inject `AgentReplyGenerator` (or `LlmClient` for a raw model call).
 */
@Module({})
export class AgentModule {
  /** Settings from the validated `LLM_*` configuration, read here and nowhere else. */
  static register(): DynamicModule {
    return AgentModule.build({ provide: LLM_SETTINGS, useFactory: (): LlmSettings => config().llm });
  }

  /** Explicit settings (tests, a second model). */
  static withSettings(settings: LlmSettings): DynamicModule {
    return AgentModule.build({ provide: LLM_SETTINGS, useValue: settings });
  }

  private static build(settings: Provider<LlmSettings>): DynamicModule {
    return {
      module: AgentModule,
      providers: [settings, LlmClient, AgentReplyGenerator],
      exports: [LlmClient, AgentReplyGenerator],
    };
  }
}
