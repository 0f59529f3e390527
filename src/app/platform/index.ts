export * from './deadline';
export * from './deps';
export * from './logger';
export * from './metrics';
export * from './telemetry';
