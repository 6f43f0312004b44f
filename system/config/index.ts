export * from './appliance-config.ts';
export * from './cidr.ts';
