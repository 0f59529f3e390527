export * from './backoff';
export * from './http-hints';
export * from './loopback';
export * from './retry';
