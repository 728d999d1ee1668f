/**
 * Contracts of apps/numbers: agents and phone numbers.
 * A change to a payload is a new versioned key, never an edit.
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  Allow,
  IsBoolean,
  IsNumber,
  IsOptional,
  IsPositive,
  IsString,
  IsUrl,
  Length,
  Matches,
  Max,
  MaxLength,
  ValidateNested,
  ValidateBy,
} from 'class-validator';
import { isTimeZone } from '../calcom/time';
export { brokerSecretAad } from '../crypto/broker-secret';
export type { BrokerSecretKind } from '../crypto/broker-secret';
import { IsAccountId } from './account-id';
import type { Page } from './pagination';
import { PageOf, PageQuery } from './pagination';

const WEBHOOK_URL_DOC = {
  type: String,
  format: 'uri',
  maxLength: 2000,
  nullable: true,
  description: 'http(s) URL that receives the signed customer webhooks (null clears it)',
} as const;
const SMS_TEMPLATE_VARIABLES_DOC =
  'Variables: `{{business_name}}`, `{{agent_name}}`, `{{caller_number}}`, `{{call_summary}}`, ' +
  '`{{booking_time}}`, `{{booking_link}}` (a missing value renders empty); any other `{{...}}` is refused ' +
  'with `invalid_template`, naming it. At most 600 characters (the SMS safe zone)';
const SMS_TEMPLATE_DOC = {
  type: String,
  maxLength: 600,
  nullable: true,
  description: `SMS sent to the caller after a call that talked to a person. ${SMS_TEMPLATE_VARIABLES_DOC}; null or "" clears it`,
} as const;
const NUMBER_SMS_TEMPLATE_DOC = {
  type: String,
  maxLength: 600,
  nullable: true,
  description:
    "This number's post-call SMS template, instead of its agent's. " +
    `${SMS_TEMPLATE_VARIABLES_DOC}; null or "" clears it (the agent's template applies again)`,
} as const;
/** Highest `sms_rate_per_second` a number may be given (segments per second). */
export const SMS_RATE_PER_SECOND_MAX = 1000;
const SMS_RATE_DOC = {
  type: Number,
  nullable: true,
  minimum: 0,
  exclusiveMinimum: true,
  maximum: SMS_RATE_PER_SECOND_MAX,
  example: 5,
  description:
    'SMS pace of this number in message segments per second, for everything it sends across all ' +
    "replicas; null = Twilio's documented default for the number's type (US/CA long code 1, toll-free 3, " +
    'short code 100, other countries 10). More than 0 and at most 1000',
} as const;
const SMS_RATE_MESSAGE = `sms_rate_per_second must be a number above 0 and at most ${SMS_RATE_PER_SECOND_MAX}, or null`;

const SMS_TEMPLATE_MESSAGE = 'post_call_sms_template must be at most 600 characters (the SMS safe zone)';
const LLM_MODEL_DOC = {
  type: String,
  maxLength: 200,
  nullable: true,
  description:
    "Overrides the engine's LLM_MODEL for this agent's replies; must be one of the engine's LLM_ALLOWED_MODELS (else 400 model_not_allowed)",
} as const;

/** Longest welcome greeting of an agent or a number (code points, as Postgres counts them). */
export const WELCOME_GREETING_MAX = 1000;
/** The one placeholder a welcome greeting may carry (see renderGreeting in the agent layer). */
export const WELCOME_GREETING_PLACEHOLDER = '{{business_name}}';
const WELCOME_GREETING_MESSAGE = `welcome_greeting must be at most ${WELCOME_GREETING_MAX} characters`;

function welcomeGreetingDoc(whose: string) {
  return {
    type: String,
    maxLength: WELCOME_GREETING_MAX,
    nullable: true,
    example: "Hi, you've reached {{business_name}}. How can I help?",
    description:
      `What a caller hears first on a call to ${whose}. \`${WELCOME_GREETING_PLACEHOLDER}\` becomes the ` +
      "business name from the number's profile (a `Business name:` line or a short first line), else the " +
      `agent's name; no other \`{{...}}\` placeholder is allowed. At most ${WELCOME_GREETING_MAX} ` +
      'characters (`validation_failed`); null or "" clears it (the default greeting)',
  } as const;
}
const AGENT_GREETING_DOC = welcomeGreetingDoc("this agent's numbers (a number's own greeting wins)");
const NUMBER_GREETING_DOC = welcomeGreetingDoc("this number, instead of its agent's");

export class CreateAgentBody {
  @ApiProperty({ minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiPropertyOptional({ maxLength: 20000, description: 'The personality and instructions of the agent' })
  @IsOptional()
  @IsString()
  @MaxLength(20000)
  system_prompt?: string;

  @ApiPropertyOptional({ maxLength: 64 })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  voice?: string;

  @ApiPropertyOptional(WEBHOOK_URL_DOC)
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  @MaxLength(2000)
  webhook_url?: string | null;

  @ApiPropertyOptional(SMS_TEMPLATE_DOC)
  @IsOptional()
  @IsString()
  @MaxLength(600, { message: SMS_TEMPLATE_MESSAGE })
  post_call_sms_template?: string | null;

  /** Overrides LLM_MODEL for this agent's replies. */
  @ApiPropertyOptional(LLM_MODEL_DOC)
  @IsOptional()
  @IsString()
  @MaxLength(200)
  llm_model?: string | null;

  @ApiPropertyOptional(AGENT_GREETING_DOC)
  @IsOptional()
  @IsString()
  @MaxLength(WELCOME_GREETING_MAX, { message: WELCOME_GREETING_MESSAGE })
  welcome_greeting?: string | null;
}

/** `PATCH /v1/agents/:id`: absent = unchanged, `null` = cleared. */
export class UpdateAgentBody {
  @ApiPropertyOptional({ minLength: 1, maxLength: 200 })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiPropertyOptional({ maxLength: 20000 })
  @IsOptional()
  @IsString()
  @MaxLength(20000)
  system_prompt?: string;

  @ApiPropertyOptional({ type: String, maxLength: 64, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  voice?: string | null;

  @ApiPropertyOptional(WEBHOOK_URL_DOC)
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  @MaxLength(2000)
  webhook_url?: string | null;

  @ApiPropertyOptional(SMS_TEMPLATE_DOC)
  @IsOptional()
  @IsString()
  @MaxLength(600, { message: SMS_TEMPLATE_MESSAGE })
  post_call_sms_template?: string | null;

  @ApiPropertyOptional(LLM_MODEL_DOC)
  @IsOptional()
  @IsString()
  @MaxLength(200)
  llm_model?: string | null;

  @ApiPropertyOptional(AGENT_GREETING_DOC)
  @IsOptional()
  @IsString()
  @MaxLength(WELCOME_GREETING_MAX, { message: WELCOME_GREETING_MESSAGE })
  welcome_greeting?: string | null;
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

export class AgentDto {
  @ApiProperty({ example: 'agent_125207e452f8714a' })
  id: string;

  @ApiProperty()
  name: string;

  @ApiProperty()
  system_prompt: string;

  @ApiProperty({ type: String, nullable: true })
  voice: string | null;

  @ApiProperty({ type: String, format: 'uri', nullable: true })
  webhook_url: string | null;

  @ApiProperty({ type: String, nullable: true })
  post_call_sms_template: string | null;

  @ApiProperty({ type: String, nullable: true })
  llm_model: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: "What callers of the agent's numbers hear first; null = the default greeting",
  })
  welcome_greeting: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ format: 'date-time' })
  updated_at: string;
}

export class AgentPage extends PageOf(AgentDto) {}

export class AgentDeletedDto {
  @ApiProperty()
  id: string;

  @ApiProperty({ enum: [true] })
  deleted: true;
}

export interface AgentChangedEvent {
  agent_id: string;
  account_id: string;
  change: 'created' | 'updated' | 'deleted';
}

/** Longest business profile a number may carry (spec: 8000 characters). */
export const CUSTOM_PROMPT_MAX = 8000;

const CUSTOM_PROMPT_DOC = {
  type: String,
  nullable: true,
  description:
    `The number's BUSINESS PROFILE, appended to its agent's prompt; at most ${CUSTOM_PROMPT_MAX} characters ` +
    '(`custom_prompt_too_long`); null or "" clears it',
} as const;
const NUMBER_WEBHOOK_URL_DOC = {
  type: String,
  format: 'uri',
  maxLength: 2000,
  nullable: true,
  description: 'http(s) URL for this number\'s customer webhooks, else the agent\'s; null or "" clears it',
} as const;

/** A number's calendar time zone when none is given. */
export const DEFAULT_CALENDAR_TIME_ZONE = 'Europe/London';

/** A Cal.com calendar for one number: its API key (stored sealed, never returned) and event type. */
export class CalendarInput {
  @ApiProperty({
    minLength: 1,
    maxLength: 500,
    description: 'Cal.com API key; stored encrypted, never returned',
  })
  @IsString()
  @Length(1, 500)
  api_key: string;

  @ApiProperty({ pattern: '^[0-9A-Za-z_-]{1,64}$', description: 'Cal.com event type id' })
  @IsString()
  @Matches(/^[0-9A-Za-z_-]{1,64}$/, { message: 'event_type_id must be a Cal.com event type id' })
  event_type_id: string;

  @ApiPropertyOptional({
    example: 'Europe/London',
    default: DEFAULT_CALENDAR_TIME_ZONE,
    description: 'IANA time zone the agent speaks and reads times in (bookings are made in UTC)',
  })
  @IsOptional()
  @ValidateBy({
    name: 'isIanaTimeZone',
    validator: {
      validate: (value: unknown) => isTimeZone(value),
      defaultMessage: () => 'time_zone must be an IANA time zone, e.g. Europe/London',
    },
  })
  time_zone?: string;
}

/** `PATCH /v1/phone-numbers/:phoneNumber`: absent = unchanged, `null` (or "") = cleared. */
export class UpdateNumberBody {
  @ApiPropertyOptional(CUSTOM_PROMPT_DOC)
  @IsOptional()
  @IsString()
  custom_prompt?: string | null;

  @ApiPropertyOptional({ type: String, maxLength: 64, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  voice?: string | null;

  @ApiPropertyOptional(NUMBER_WEBHOOK_URL_DOC)
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === '' ? null : value))
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  @MaxLength(2000)
  webhook_url?: string | null;

  @ApiPropertyOptional({ type: () => CalendarInput, nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => CalendarInput)
  calendar?: CalendarInput | null;

  @ApiPropertyOptional(NUMBER_GREETING_DOC)
  @IsOptional()
  @IsString()
  @MaxLength(WELCOME_GREETING_MAX, { message: WELCOME_GREETING_MESSAGE })
  welcome_greeting?: string | null;

  @ApiPropertyOptional(NUMBER_SMS_TEMPLATE_DOC)
  @IsOptional()
  @IsString()
  @MaxLength(600, { message: SMS_TEMPLATE_MESSAGE })
  post_call_sms_template?: string | null;

  @ApiPropertyOptional(SMS_RATE_DOC)
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: SMS_RATE_MESSAGE })
  @IsPositive({ message: SMS_RATE_MESSAGE })
  @Max(SMS_RATE_PER_SECOND_MAX, { message: SMS_RATE_MESSAGE })
  sms_rate_per_second?: number | null;
}

/**
 * `POST /v1/phone-numbers`. `phone_number`, `twilio_sid` and `custom_prompt`
 * are only shape-checked here so that the service reports them with their own
 * codes (invalid_phone_format, invalid_twilio_sid, custom_prompt_too_long) in
 * the spec's order.
 */
export class ImportNumberBody extends UpdateNumberBody {
  @ApiProperty({
    type: String,
    example: '+447446466847',
    description: 'E.164, owned by the Twilio account (`invalid_phone_format`, `twilio_number_not_found`)',
  })
  @Allow()
  phone_number: unknown;

  @ApiProperty({
    type: String,
    example: 'AC0123456789abcdef0123456789abcdef',
    description: 'Twilio Account SID: AC + 32 hex characters (`invalid_twilio_sid`)',
  })
  @Allow()
  twilio_sid: unknown;

  @ApiProperty({
    minLength: 1,
    maxLength: 256,
    description: 'Twilio auth token; stored encrypted, never returned (`twilio_auth_failed`)',
  })
  @IsString()
  @Length(1, 256)
  twilio_token: string;

  @ApiProperty({
    maxLength: 100,
    description: 'An agent of this account (`agent_not_found`, `agent_not_owned`)',
  })
  @IsString()
  @MaxLength(100)
  agent_id: string;
}

export class DeleteNumberQuery {
  @ApiPropertyOptional({
    type: Boolean,
    default: false,
    description: 'true: put back the webhooks the number had before the import; false: clear them',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    value === 'true' || value === true ? true : value === 'false' || value === false ? false : value,
  )
  @IsBoolean({ message: 'restore_webhooks must be true or false' })
  restore_webhooks?: boolean;
}

export class ListNumbersQuery extends PageQuery {
  @ApiPropertyOptional({ maxLength: 100, description: "Only this agent's numbers" })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  agent_id?: string;
}

/** A number as the client wrote it in the path; the service checks its format. */
export class NumberRef extends AccountScoped {
  @IsString()
  @MaxLength(64)
  phone_number: string;
}

/**
 * The broker form of a number's settings. The gateway seals the Twilio auth
 * token and the Cal.com key (SecretBox, the shared CREDENTIALS_ENCRYPTION_KEY,
 * associated data from `brokerSecretAad`) before they go on the broker, so a
 * command, a redelivery or a dead letter never holds them in plaintext; the
 * numbers service opens them. There is no plaintext field to fill by mistake.
 */
export class SealedCalendarInput {
  /** SecretBox of the Cal.com API key; associated data `brokerSecretAad('calendar_api_key', account_id)`. */
  @IsString()
  @Length(1, 2000)
  api_key_sealed: string;

  @IsString()
  @Matches(/^[0-9A-Za-z_-]{1,64}$/)
  event_type_id: string;

  @IsOptional()
  @IsString()
  time_zone?: string;
}

/** What a command may carry of UpdateNumberBody, with the calendar key sealed. */
class NumberSettingsCommand {
  @IsOptional()
  @IsString()
  custom_prompt?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  voice?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(2000)
  webhook_url?: string | null;

  @IsOptional()
  @ValidateNested()
  @Type(() => SealedCalendarInput)
  calendar?: SealedCalendarInput | null;

  @IsOptional()
  @IsString()
  welcome_greeting?: string | null;

  @IsOptional()
  @IsString()
  post_call_sms_template?: string | null;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: SMS_RATE_MESSAGE })
  @IsPositive({ message: SMS_RATE_MESSAGE })
  @Max(SMS_RATE_PER_SECOND_MAX, { message: SMS_RATE_MESSAGE })
  sms_rate_per_second?: number | null;
}

/** `numbers.import.v2` (see ImportNumberBody); the token and calendar key sealed by the gateway. */
export class ImportNumberCommand extends NumberSettingsCommand {
  @Allow()
  phone_number: unknown;

  @Allow()
  twilio_sid: unknown;

  /** SecretBox of the Twilio auth token; associated data `brokerSecretAad('twilio_token', account_id)`. */
  @IsString()
  @Length(1, 2000)
  twilio_token_sealed: string;

  @IsString()
  @MaxLength(100)
  agent_id: string;

  @IsAccountId()
  account_id: string;

  @IsString()
  @MaxLength(100)
  api_key_id: string;
}

/** `numbers.update.v2` (see UpdateNumberBody); a new calendar key sealed by the gateway. */
export class UpdateNumberCommand extends NumberSettingsCommand {
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

export class CalendarDto {
  @ApiProperty()
  event_type_id: string;

  @ApiProperty({ example: 'Europe/London' })
  time_zone: string;
}

/** The public form of an imported number. The Twilio auth token and Cal.com key never appear. */
export class PhoneNumberDto {
  @ApiProperty({ example: 'pn_0123456789abcdef' })
  id: string;

  @ApiProperty({ example: '+447446466847' })
  phone_number: string;

  @ApiProperty()
  agent_id: string;

  @ApiProperty({ description: 'The API key that imported it' })
  api_key_id: string;

  @ApiProperty()
  twilio_account_sid: string;

  @ApiProperty({ description: "The number's Twilio SID (PN...)" })
  twilio_number_sid: string;

  @ApiProperty({ type: String, nullable: true })
  custom_prompt: string | null;

  @ApiProperty({ type: String, nullable: true })
  voice: string | null;

  @ApiProperty({ type: String, format: 'uri', nullable: true })
  webhook_url: string | null;

  @ApiProperty({ type: () => CalendarDto, nullable: true, description: 'The API key is never returned' })
  calendar: CalendarDto | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: "This number's own greeting; null = its agent's welcome_greeting (else the default)",
  })
  welcome_greeting: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: "This number's own post-call SMS template; null = its agent's post_call_sms_template",
  })
  post_call_sms_template: string | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: "This number's SMS pace in segments per second; null = the default for its type",
  })
  sms_rate_per_second: number | null;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ format: 'date-time' })
  updated_at: string;
}

export class PhoneNumberPage extends PageOf(PhoneNumberDto) {}

export class DeleteNumberResult {
  @ApiProperty()
  phone_number: string;

  @ApiProperty({ enum: [true] })
  deleted: true;

  /** What happened to the number's Twilio webhooks. */
  @ApiProperty({
    enum: ['cleared', 'restored', 'unchanged'],
    description: "What happened to the number's Twilio webhooks",
  })
  webhooks: 'cleared' | 'restored' | 'unchanged';

  /** Why they were left unchanged (credentials rejected, number gone from Twilio). */
  @ApiPropertyOptional({
    description: 'Why they were left unchanged (credentials rejected, number gone from Twilio)',
  })
  webhooks_note?: string;
}

export const NumbersCommands = {
  agentsCreate: 'agents.create.v1',
  agentsList: 'agents.list.v1',
  agentsGet: 'agents.get.v1',
  agentsUpdate: 'agents.update.v1',
  agentsDelete: 'agents.delete.v1',
  numbersImport: 'numbers.import.v2',
  numbersList: 'numbers.list.v1',
  numbersGet: 'numbers.get.v1',
  numbersUpdate: 'numbers.update.v2',
  numbersDelete: 'numbers.delete.v1',
  /** Effective settings of a number (ResolvedNumber); `number_not_found` when not imported. */
  numbersResolve: 'numbers.resolve.v1',
} as const;

export interface NumbersCommandMap {
  'agents.create.v1': { request: CreateAgentCommand; response: AgentDto };
  'agents.list.v1': { request: ListAgentsCommand; response: Page<AgentDto> };
  'agents.get.v1': { request: AgentRef; response: AgentDto };
  'agents.update.v1': { request: UpdateAgentCommand; response: AgentDto };
  'agents.delete.v1': { request: AgentRef; response: AgentDeletedDto };
  'numbers.import.v2': { request: ImportNumberCommand; response: PhoneNumberDto };
  'numbers.list.v1': { request: ListNumbersCommand; response: Page<PhoneNumberDto> };
  'numbers.get.v1': { request: NumberRef; response: PhoneNumberDto };
  'numbers.update.v2': { request: UpdateNumberCommand; response: PhoneNumberDto };
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
  /** The number's welcome greeting, else its agent's; null = the default (see renderGreeting). */
  welcome_greeting: string | null;
  /** The number's webhook, else its agent's. */
  webhook_url: string | null;
  llm_model: string | null;
  /** The number's post-call SMS template, else its agent's. */
  post_call_sms_template: string | null;
  /** The number's SMS pace override (segments/s); null = the default for its type (messaging's paceOf). */
  sms_rate_per_second: number | null;
  calendar: { event_type_id: string; api_key_sealed: string; time_zone: string } | null;
  twilio_account_sid: string;
  twilio_auth_token_sealed: string;
}

export interface NumberChangedEvent {
  phone_number: string;
  account_id: string;
  agent_id: string;
  change: 'imported' | 'updated' | 'deleted';
}
