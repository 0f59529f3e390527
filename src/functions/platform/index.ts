export * from './http-edge';
export * from './registration';
