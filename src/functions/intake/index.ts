export * from './acr-events';
export * from './acr-event-grid';
