export * from './controls';
export * from './plain-text';
