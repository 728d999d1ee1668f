export * from './error-codes';
export * from './app-error';
export * from './validation';
export * from './transient';
