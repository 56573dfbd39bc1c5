export * from './ast';
export { tokenize, type Token, type TokenType } from './lexer';
export * from './parser';
export * from './secrets';
export * from './evaluate';
export * from './resolve';
