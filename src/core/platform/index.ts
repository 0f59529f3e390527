export * from './backoff';
export * from './errors';
export * from './http-hints';
export * from './loopback';
export * from './memo';
export * from './retry';
