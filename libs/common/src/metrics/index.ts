export * from './metrics';
export * from './instruments';
export * from './serve';
