export * from './poller';
export * from './until';
