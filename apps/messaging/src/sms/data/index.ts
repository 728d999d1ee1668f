export * from './idempotency-keys.repository';
export * from './messages.repository';
export * from './sms.entities';
export * from './status-callbacks.repository';
