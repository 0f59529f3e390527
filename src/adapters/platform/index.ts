export * from './credential';
export * from './sleep';
