export * from './due-time';
