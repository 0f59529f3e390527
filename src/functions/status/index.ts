export * from './dashboard';
export * from './ledger';
export * from './notifications';
export * from './page-style';
export * from './page';
export * from './release-detail';
export * from './releases';
