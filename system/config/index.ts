export * from './appliance-config.ts';
export * from './cidr.ts';
export * from './web-config.ts';
export * from './sip-tls-config.ts';
export * from './overload-config.ts';
export * from './sip-listen-config.ts';
export * from './call-records-config.ts';
export * from './metrics-config.ts';
