import type { AgentDto } from '@nixflex/common';
import { Agent } from './agent.entity';

export function toAgentDto(a: Agent): AgentDto {
  return {
    id: a.id,
    name: a.name,
    system_prompt: a.systemPrompt,
    voice: a.voice,
    webhook_url: a.webhookUrl,
    post_call_sms_template: a.postCallSmsTemplate,
    llm_model: a.llmModel,
    welcome_greeting: a.welcomeGreeting,
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
  };
}
