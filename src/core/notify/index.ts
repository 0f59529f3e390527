export * from './action-events';
export * from './format';
export * from './outbox';
export * from './release-events';
export * from './transition-events';
