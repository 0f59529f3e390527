export * from './challenge';
export * from './client';
export * from './http';
export * from './push-verifier';
export * from './registry-adapters';
export * from './replica-status';
export * from './tag-listing';
export * from './token-provider';
