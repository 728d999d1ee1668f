export * from './topology';
export * from './amqp-broker';
export * from './broker-client';
export * from './amqp-server';
