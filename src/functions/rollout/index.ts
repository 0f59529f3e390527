export * from './reconcile-timer';
