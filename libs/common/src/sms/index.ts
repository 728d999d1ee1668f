export * from './segments';
export * from './status';
export * from './twilio-errors';
