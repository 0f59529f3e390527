export * from './handle-wakeup';
export * from './poisoned-wakeups';
export * from './schedule-wakeups';
