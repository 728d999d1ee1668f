export * from './core.module';
export * from './bootstrap';
export * from './process-broker';
export * from './http-exception.filter';
export * from './rpc-exception.filter';
