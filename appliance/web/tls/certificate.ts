/**
 * The admin listener's certificate: the one owner of certificate loading and generation is
 * `appliance/tls/certificate.ts` (SIP over TLS uses it too); this keeps the web side's imports.
 */
export * from '../../tls/certificate.ts';
