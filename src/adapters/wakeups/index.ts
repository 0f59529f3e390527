export * from './wake-queue';
