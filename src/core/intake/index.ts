export * from './acr-event';
export * from './release-id';
export * from './release-planning';
export * from './event-grid-event';
export * from './store';
export * from './release-order';
