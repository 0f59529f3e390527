export * from './apply-registry-event';
export * from './pending-release';
export * from './plan-release';
export * from './push-order';
export * from './receive-webhook';
export * from './scan-registry';
export * from './verify-push';
export * from './webhook-auth';
