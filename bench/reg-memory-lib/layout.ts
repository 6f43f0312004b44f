/** bench/reg-memory's loopback addresses (127.0.206.0/24: apart from the tests' and the other benches'). */
export const LAYOUT = {
  appliance: { ip: '127.0.206.2', port: 5060 },
  /** The trusted REGISTER client; the contacts it binds are at its own address and port (no NAT). */
  registrar: { ip: '127.0.206.10', port: 5062 },
  caller: { ip: '127.0.206.11', port: 5061 },
  callee: { ip: '127.0.206.12', port: 5070 },
  probe: { ip: '127.0.206.13', port: 5063 },
} as const;
