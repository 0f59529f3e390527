export * from './no-queue';
export * from './wake-queue';
