/**
 * Contracts of apps/messaging: SMS records, sending, statuses, conversations.
 * A change to a payload is a new versioned key, never an edit.
 */
export const MessagingCommands = {} as const;

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface MessagingCommandMap {}

export const MessagingEvents = {} as const;

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface MessagingEventMap {}
