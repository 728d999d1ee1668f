/**
 * Contracts of apps/numbers: agents and phone numbers.
 * A change to a payload is a new versioned key, never an edit.
 */
import { Transform, Type } from 'class-transformer';
import {
  Allow,
  IsBoolean,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { IsAccountId } from './account-id';
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
  @IsAccountId()
  account_id: string;
}

export class AgentRef extends AccountScoped {
  @IsString()
  @MaxLength(100)
  agent_id: string;
}

export class CreateAgentCommand extends CreateAgentBody {
  @IsAccountId()
  account_id: string;
}

export class UpdateAgentCommand extends UpdateAgentBody {
  @IsAccountId()
  account_id: string;

  @IsString()
  @MaxLength(100)
  agent_id: string;
}

export class ListAgentsCommand extends PageQuery {
  @IsAccountId()
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

/** Longest business profile a number may carry (spec: 8000 characters). */
export const CUSTOM_PROMPT_MAX = 8000;

/** A Cal.com calendar for one number: its API key (stored sealed, never returned) and event type. */
export class CalendarInput {
  @IsString()
  @Length(1, 500)
  api_key: string;

  @IsString()
  @Matches(/^[0-9A-Za-z_-]{1,64}$/, { message: 'event_type_id must be a Cal.com event type id' })
  event_type_id: string;
}

/**
 * `POST /v1/phone-numbers`. `phone_number`, `twilio_sid` and `custom_prompt`
 * are only shape-checked here so that the service reports them with their own
 * codes (invalid_phone_format, invalid_twilio_sid, custom_prompt_too_long) in
 * the spec's order.
 */
export class ImportNumberBody {
  @Allow()
  phone_number: unknown;

  @Allow()
  twilio_sid: unknown;

  @IsString()
  @Length(1, 256)
  twilio_token: string;

  @IsString()
  @MaxLength(100)
  agent_id: string;

  @IsOptional()
  @IsString()
  custom_prompt?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  voice?: string | null;

  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === '' ? null : value))
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  @MaxLength(2000)
  webhook_url?: string | null;

  @IsOptional()
  @ValidateNested()
  @Type(() => CalendarInput)
  calendar?: CalendarInput | null;
}

/** `PATCH /v1/phone-numbers/:phoneNumber`: absent = unchanged, `null` (or "") = cleared. */
export class UpdateNumberBody {
  @IsOptional()
  @IsString()
  custom_prompt?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  voice?: string | null;

  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === '' ? null : value))
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  @MaxLength(2000)
  webhook_url?: string | null;

  @IsOptional()
  @ValidateNested()
  @Type(() => CalendarInput)
  calendar?: CalendarInput | null;
}

export class DeleteNumberQuery {
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    value === 'true' || value === true ? true : value === 'false' || value === false ? false : value,
  )
  @IsBoolean({ message: 'restore_webhooks must be true or false' })
  restore_webhooks?: boolean;
}

export class ListNumbersQuery extends PageQuery {
  @IsOptional()
  @IsString()
  @MaxLength(100)
  agent_id?: string;
}

export class ImportNumberCommand extends ImportNumberBody {
  @IsAccountId()
  account_id: string;

  @IsString()
  @MaxLength(100)
  api_key_id: string;
}

/** A number as the client wrote it in the path; the service checks its format. */
export class NumberRef extends AccountScoped {
  @IsString()
  @MaxLength(64)
  phone_number: string;
}

export class UpdateNumberCommand extends UpdateNumberBody {
  @IsAccountId()
  account_id: string;

  @IsString()
  @MaxLength(64)
  phone_number: string;
}

export class DeleteNumberCommand extends NumberRef {
  @IsOptional()
  @IsBoolean()
  restore_webhooks?: boolean;
}

export class ListNumbersCommand extends ListNumbersQuery {
  @IsAccountId()
  account_id: string;
}

/** Internal: the effective settings of a number, for every service that acts on it. */
export class ResolveNumberCommand {
  @IsString()
  @MaxLength(64)
  phone_number: string;
}

/** The public form of an imported number. The Twilio auth token and Cal.com key never appear. */
export interface PhoneNumberDto {
  id: string;
  phone_number: string;
  agent_id: string;
  api_key_id: string;
  twilio_account_sid: string;
  twilio_number_sid: string;
  custom_prompt: string | null;
  voice: string | null;
  webhook_url: string | null;
  calendar: { event_type_id: string } | null;
  created_at: string;
  updated_at: string;
}

export interface DeleteNumberResult {
  phone_number: string;
  deleted: true;
  /** What happened to the number's Twilio webhooks. */
  webhooks: 'cleared' | 'restored' | 'unchanged';
  /** Why they were left unchanged (credentials rejected, number gone from Twilio). */
  webhooks_note?: string;
}

export const NumbersCommands = {
  agentsCreate: 'agents.create.v1',
  agentsList: 'agents.list.v1',
  agentsGet: 'agents.get.v1',
  agentsUpdate: 'agents.update.v1',
  agentsDelete: 'agents.delete.v1',
  numbersImport: 'numbers.import.v1',
  numbersList: 'numbers.list.v1',
  numbersGet: 'numbers.get.v1',
  numbersUpdate: 'numbers.update.v1',
  numbersDelete: 'numbers.delete.v1',
  /** Effective settings of a number (ResolvedNumber); `number_not_found` when not imported. */
  numbersResolve: 'numbers.resolve.v1',
} as const;

export interface NumbersCommandMap {
  'agents.create.v1': { request: CreateAgentCommand; response: AgentDto };
  'agents.list.v1': { request: ListAgentsCommand; response: Page<AgentDto> };
  'agents.get.v1': { request: AgentRef; response: AgentDto };
  'agents.update.v1': { request: UpdateAgentCommand; response: AgentDto };
  'agents.delete.v1': { request: AgentRef; response: { id: string; deleted: true } };
  'numbers.import.v1': { request: ImportNumberCommand; response: PhoneNumberDto };
  'numbers.list.v1': { request: ListNumbersCommand; response: Page<PhoneNumberDto> };
  'numbers.get.v1': { request: NumberRef; response: PhoneNumberDto };
  'numbers.update.v1': { request: UpdateNumberCommand; response: PhoneNumberDto };
  'numbers.delete.v1': { request: DeleteNumberCommand; response: DeleteNumberResult };
  'numbers.resolve.v1': { request: ResolveNumberCommand; response: ResolvedNumber };
}

export const NumbersEvents = {
  agentChanged: 'agents.changed.v1',
  /** A number was imported, updated or deleted (published via the outbox, in the change's transaction). */
  numberChanged: 'numbers.changed.v1',
} as const;

export interface NumbersEventMap {
  'agents.changed.v1': AgentChangedEvent;
  'numbers.changed.v1': NumberChangedEvent;
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
