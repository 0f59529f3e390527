export * from './controls';
export * from './plain-text';
export * from './store';
