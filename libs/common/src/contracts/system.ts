/** Readiness of a service, asked over RabbitMQ by the gateway's /health. */
export interface HealthReply {
  service: string;
  database: 'up' | 'down';
  broker: 'up' | 'down';
  /** Services that use Redis (messaging: SMS pacing) report it too. */
  redis?: 'up' | 'down';
  uptime_s: number;
}

export const SystemCommands = {
  numbersHealth: 'numbers.health.v1',
  messagingHealth: 'messaging.health.v1',
  webhooksHealth: 'webhooks.health.v1',
  voiceHealth: 'voice.health.v1',
} as const;

export interface SystemCommandMap {
  'numbers.health.v1': { request: Record<string, never>; response: HealthReply };
  'messaging.health.v1': { request: Record<string, never>; response: HealthReply };
  'webhooks.health.v1': { request: Record<string, never>; response: HealthReply };
  'voice.health.v1': { request: Record<string, never>; response: HealthReply };
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface SystemEventMap {}
