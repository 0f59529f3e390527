export * from './action';
export * from './cancel';
export * from './holds';
export * from './release-gates';
export * from './retry';
export * from './rollback';
