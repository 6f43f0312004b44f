export * from './appliance-error.ts';
export * from './status-map.ts';
