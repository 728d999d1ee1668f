export * from './twilio-client';
export * from './twilio-errors';
export * from './paths';
