export * from './actor';
export * from './fleet-routes';
export * from './http';
export * from './release-routes';
