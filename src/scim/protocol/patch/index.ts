export * from './request';
export * from './apply';
