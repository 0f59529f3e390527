export * from './reconcile-all';
export * from './reconcile-release';
export * from './reconcile-run';
export * from './rollout-context';
export * from './step-rollout';
