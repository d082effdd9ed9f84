export * from './inspection-contract.js';
