export * from './advance';
