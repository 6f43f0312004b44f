/** RFC 3261 timer values (§17, Table 4), in milliseconds. */
export const T1 = 500;
export const T2 = 4000;
export const T4 = 5000;
export const TIMER_A = T1;
export const TIMER_B = 64 * T1;
export const TIMER_D = 32_000;
export const TIMER_E = T1;
export const TIMER_F = 64 * T1;
export const TIMER_G = T1;
export const TIMER_H = 64 * T1;
export const TIMER_I = T4;
export const TIMER_J = 64 * T1;
export const TIMER_K = T4;
/** Proxy INVITE timer C (RFC 3261 §16.6 step 11): greater than 3 minutes. */
export const TIMER_C = 181_000;
/** RFC 6026 §8.7 Timer L: how long an INVITE server transaction stays Accepted after a 2xx. */
export const TIMER_L = 64 * T1;
/** RFC 6026 §8.4 Timer M: how long an INVITE client transaction stays Accepted, taking 2xx retransmissions. */
export const TIMER_M = 64 * T1;
