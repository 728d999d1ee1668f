export * from './secret-box';
export * from './api-key';
export * from './reencrypt';
export * from './broker-secret';
