export * from './check';
export * from './cross-checks';
export * from './messages';
export * from './ncrontab';
export * from './schema';
