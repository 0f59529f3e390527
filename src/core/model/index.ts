export * from './keys';
export * from './names';
export * from './ports';
export * from './records';
export * from './store';
export * from './versions';
