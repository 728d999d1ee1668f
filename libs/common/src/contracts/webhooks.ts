/**
 * Contracts of apps/webhooks: Twilio webhooks in, customer webhooks out.
 * A change to a payload is a new versioned key, never an edit.
 */
export const WebhooksCommands = {} as const;

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface WebhooksCommandMap {}

export const WebhooksEvents = {} as const;

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface WebhooksEventMap {}
