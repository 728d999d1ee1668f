export * from './data-source';
export * from './inbox.entity';
export * from './outbox';
export * from './outbox-inbox.migration';
export * from './prepared';
export * from './transactional.repository';
