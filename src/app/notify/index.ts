export * from './deliver-outbox';
export * from './operator-events';
export * from './targets';
export * from './transition-outbox';
