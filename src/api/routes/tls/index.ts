import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HubError } from '../../../errors.js';
import type { ApiServices } from '../../services.js';

/**
 * The hub's CA certificate, for phones to install before they trust HTTPS: PEM for Android and
 * desktops (`/ca.crt`), and an iOS configuration profile (`/ca.mobileconfig`). Public on purpose:
 * a certificate is not a secret, and a phone needs it before it has any token.
 */
export const caRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices }> = async (app, { services }) => {
  const ca = () => {
    if (!services.tls) throw new HubError('not_found', 'TLS is off on this hub (tls.enabled: false)');
    return services.tls;
  };

  app.get(
    '/ca.crt',
    { schema: { summary: "The hub's CA certificate (PEM)", tags: ['tls'], security: [] } },
    async (_request, reply) => {
      const { caCertPem, caFingerprint } = ca();
      return reply
        .header('content-type', 'application/x-x509-ca-cert')
        .header('content-disposition', 'attachment; filename="homepay-ca.crt"')
        .header('x-homepay-ca-fingerprint', caFingerprint)
        .send(caCertPem);
    },
  );

  app.get(
    '/ca.mobileconfig',
    { schema: { summary: "The hub's CA as an iOS configuration profile", tags: ['tls'], security: [] } },
    async (_request, reply) => {
      const { caCertPem } = ca();
      return reply
        .header('content-type', 'application/x-apple-aspen-config')
        .header('content-disposition', 'attachment; filename="homepay-ca.mobileconfig"')
        .send(mobileConfig(caCertPem));
    },
  );
};

/** An unsigned iOS profile with one root certificate payload (Apple's Configuration Profile Reference). */
export function mobileConfig(caCertPem: string): string {
  const der = caCertPem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>PayloadContent</key>
  <array>
    <dict>
      <key>PayloadCertificateFileName</key><string>homepay-ca.cer</string>
      <key>PayloadContent</key><data>${der}</data>
      <key>PayloadDisplayName</key><string>homepay hub CA</string>
      <key>PayloadIdentifier</key><string>dev.homepay.ca.${randomUUID()}</string>
      <key>PayloadType</key><string>com.apple.security.root</string>
      <key>PayloadUUID</key><string>${randomUUID()}</string>
      <key>PayloadVersion</key><integer>1</integer>
    </dict>
  </array>
  <key>PayloadDisplayName</key><string>homepay hub</string>
  <key>PayloadIdentifier</key><string>dev.homepay.profile</string>
  <key>PayloadType</key><string>Configuration</string>
  <key>PayloadUUID</key><string>${randomUUID()}</string>
  <key>PayloadVersion</key><integer>1</integer>
</dict>
</plist>
`;
}
