export * from './acr-events';
