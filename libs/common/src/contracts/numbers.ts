/**
 * Contracts of apps/numbers: agents and phone numbers.
 * A change to a payload is a new versioned key, never an edit.
 */
import { IsOptional, IsString, IsUrl, Length, Matches, MaxLength } from 'class-validator';
import type { Page } from './pagination';
import { PageQuery } from './pagination';


export class CreateAgentBody {
  @IsString()
  @Length(1, 200)
  name: string;

  @IsOptional()
  @IsString()
  @MaxLength(20000)
  system_prompt?: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  voice?: string;

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  @MaxLength(2000)
  webhook_url?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(600, { message: 'post_call_sms_template must be at most 600 characters (the SMS safe zone)' })
  post_call_sms_template?: string | null;

  /** Overrides LLM_MODEL for this agent's replies. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  llm_model?: string | null;
}

export class UpdateAgentBody {
  @IsOptional()
  @IsString()
  @Length(1, 200)
  name?: string;

  @IsOptional()
  @IsString()
  @MaxLength(20000)
  system_prompt?: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  voice?: string | null;

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  @MaxLength(2000)
  webhook_url?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(600, { message: 'post_call_sms_template must be at most 600 characters (the SMS safe zone)' })
  post_call_sms_template?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  llm_model?: string | null;
}

export class AccountScoped {
  @Matches(/^acct_[0-9a-f]{16}$/)
  account_id: string;
}

export class AgentRef extends AccountScoped {
  @IsString()
  @MaxLength(100)
  agent_id: string;
}

export class CreateAgentCommand extends CreateAgentBody {
  @Matches(/^acct_[0-9a-f]{16}$/)
  account_id: string;
}

export class UpdateAgentCommand extends UpdateAgentBody {
  @Matches(/^acct_[0-9a-f]{16}$/)
  account_id: string;

  @IsString()
  @MaxLength(100)
  agent_id: string;
}

export class ListAgentsCommand extends PageQuery {
  @Matches(/^acct_[0-9a-f]{16}$/)
  account_id: string;
}

export interface AgentDto {
  id: string;
  name: string;
  system_prompt: string;
  voice: string | null;
  webhook_url: string | null;
  post_call_sms_template: string | null;
  llm_model: string | null;
  created_at: string;
  updated_at: string;
}

export interface AgentChangedEvent {
  agent_id: string;
  account_id: string;
  change: 'created' | 'updated' | 'deleted';
}

export const NumbersCommands = {
  agentsCreate: 'agents.create.v1',
  agentsList: 'agents.list.v1',
  agentsGet: 'agents.get.v1',
  agentsUpdate: 'agents.update.v1',
  agentsDelete: 'agents.delete.v1',
} as const;

export interface NumbersCommandMap {
  'agents.create.v1': { request: CreateAgentCommand; response: AgentDto };
  'agents.list.v1': { request: ListAgentsCommand; response: Page<AgentDto> };
  'agents.get.v1': { request: AgentRef; response: AgentDto };
  'agents.update.v1': { request: UpdateAgentCommand; response: AgentDto };
  'agents.delete.v1': { request: AgentRef; response: { id: string; deleted: true } };
}

export const NumbersEvents = {
  agentChanged: 'agents.changed.v1',
} as const;

export interface NumbersEventMap {
  'agents.changed.v1': AgentChangedEvent;
}


/**
 * A phone number's effective settings, resolved in one place (apps/numbers)
 * for every inbound and outbound action. The Twilio auth token travels
 * sealed (SecretBox, shared CREDENTIALS_ENCRYPTION_KEY) and is opened only
 * by the process that calls Twilio.
 */
export interface ResolvedNumber {
  phone_number: string;
  account_id: string;
  api_key_id: string;
  agent_id: string;
  agent_name: string;
  /** The agent's prompt with the number's BUSINESS PROFILE appended when set. */
  system_prompt: string;
  agent_system_prompt: string;
  custom_prompt: string | null;
  voice: string | null;
  /** The number's webhook, else its agent's. */
  webhook_url: string | null;
  llm_model: string | null;
  post_call_sms_template: string | null;
  calendar: { event_type_id: string; api_key_sealed: string } | null;
  twilio_account_sid: string;
  twilio_auth_token_sealed: string;
}

export interface NumberChangedEvent {
  phone_number: string;
  account_id: string;
  agent_id: string;
  change: 'imported' | 'updated' | 'deleted';
}
