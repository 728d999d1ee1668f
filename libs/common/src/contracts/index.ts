import type { AccountsEventMap } from './accounts';
import type { CalendarCommandMap } from './calendar';
import type { CampaignsCommandMap } from './campaigns';
import type { CustomerEventsEventMap, CustomerWebhooksCommandMap } from './customer-events';
import type { MessagingCommandMap, MessagingEventMap } from './messaging';
import type { NumbersCommandMap, NumbersEventMap } from './numbers';
import type { SystemCommandMap, SystemEventMap } from './system';
import type { TwilioWebhookCommandMap, TwilioWebhookEventMap } from './twilio-webhooks';
import type { UsageCommandMap, UsageEventMap } from './usage';
import type { VoiceCommandMap, VoiceEventMap } from './voice';

export * from './system';
export * from './numbers';
export * from './messaging';
export * from './twilio-webhooks';
export * from './customer-events';
export * from './voice';
export * from './pagination';
export * from './calendar';
export * from './accounts';
export * from './campaigns';
export * from './usage';

/** Every command (request/reply) routing key, typed to its request and response. */
export type CommandMap = SystemCommandMap &
  NumbersCommandMap &
  MessagingCommandMap &
  TwilioWebhookCommandMap &
  CustomerWebhooksCommandMap &
  VoiceCommandMap &
  CalendarCommandMap &
  CampaignsCommandMap &
  UsageCommandMap;
/** Every event routing key, typed to its payload. */
export type EventMap = SystemEventMap &
  NumbersEventMap &
  MessagingEventMap &
  TwilioWebhookEventMap &
  CustomerEventsEventMap &
  VoiceEventMap &
  AccountsEventMap &
  UsageEventMap;

export type CommandKey = Extract<keyof CommandMap, string>;
export type CommandRequest<K extends CommandKey> = CommandMap[K] extends { request: infer R } ? R : never;
export type CommandResponse<K extends CommandKey> = CommandMap[K] extends { response: infer R } ? R : never;
export type EventKey = Extract<keyof EventMap, string>;
export type EventPayload<K extends EventKey> = EventMap[K];
