export * from './action-events';
export { regionFigures } from './figures';
export * from './format';
export * from './notify-event';
export * from './outbox';
export * from './release-events';
export * from './stuck-events';
export * from './transition-events';
