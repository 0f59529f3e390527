export * from './ledger';
export * from './notifications';
export * from './queries';
export * from './releases';
export * from './views';
