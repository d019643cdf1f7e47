import { request as httpsRequest } from 'node:https';
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from 'node:tls';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/tls/certificates.js';
import { addDevice, startHub, type TestHub } from '../helpers/hub.js';
import { eventually } from '../helpers/mqtt.js';
import { execFileAsync, mosquittoBinary } from '../helpers/processes.js';

let hub: TestHub;
let caCertPem: string;
beforeAll(async () => {
  hub = await startHub();
  const response = await hub.api({ method: 'GET', url: '/ca.crt', token: null });
  caCertPem = response.body;
});
afterAll(async () => {
  await hub.stop();
});

const httpsPort = () => hub.hub.httpsPort() as number;
const mqttsPort = () => (hub.hub.transport as unknown as { tlsPort(): number }).tlsPort();

function handshake(port: number, options: ConnectionOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ...options });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('the hub CA', () => {
  it('is served at /ca.crt without a token, with the fingerprint people compare', async () => {
    const response = await hub.api({ method: 'GET', url: '/ca.crt', token: null });
    expect(response.statusCode).toBe(200);
    expect(response.body).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(response.headers['x-homepay-ca-fingerprint']).toBe(fingerprint(response.body));
    const profile = await hub.api({ method: 'GET', url: '/ca.mobileconfig', token: null });
    expect(profile.headers['content-type']).toBe('application/x-apple-aspen-config');
    expect(profile.body).toContain('<string>com.apple.security.root</string>');
  });

  it('keeps its CA across restarts, so phones need not trust a new one', async () => {
    const before = fingerprint(caCertPem);
    await hub.restart();
    const after = await hub.api({ method: 'GET', url: '/ca.crt', token: null });
    expect(fingerprint(after.body)).toBe(before);
  });
});

describe('HTTPS', () => {
  it("verifies against the hub's CA for localhost, and negotiates TLS 1.3 with a 256-bit AEAD suite", async () => {
    const socket = await handshake(httpsPort(), { ca: caCertPem });
    expect(socket.authorized).toBe(true);
    expect(socket.getProtocol()).toBe('TLSv1.3');
    expect(['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']).toContain(
      socket.getCipher().standardName,
    );
    socket.end();
  });

  it('answers the API over HTTPS', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port: httpsPort(), path: '/api/health', ca: caCertPem, servername: 'localhost' },
        (res) => {
          let data = '';
          res.on('data', (chunk) => {
            data += chunk;
          });
          res.on('end', () => resolve(data));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(JSON.parse(body)).toMatchObject({ status: 'ok' });
  });

  it('refuses TLS 1.1 (the client is allowed it, the hub says no)', async () => {
    await expect(
      handshake(httpsPort(), {
        ca: caCertPem,
        minVersion: 'TLSv1',
        maxVersion: 'TLSv1.1',
        ciphers: 'DEFAULT@SECLEVEL=0',
      }),
    ).rejects.toThrow(/alert protocol version/);
  });

  it('refuses a TLS 1.2 client that offers only AES-128', async () => {
    await expect(
      handshake(httpsPort(), {
        ca: caCertPem,
        maxVersion: 'TLSv1.2',
        ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256',
      }),
    ).rejects.toThrow(/handshake failure|no shared cipher/i);
  });

  it('accepts a TLS 1.2 client with ChaCha20-Poly1305', async () => {
    const socket = await handshake(httpsPort(), {
      ca: caCertPem,
      maxVersion: 'TLSv1.2',
      ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305',
    });
    expect(socket.getProtocol()).toBe('TLSv1.2');
    socket.end();
  });

  it('sends phones on the LAN from plain HTTP to HTTPS, but not localhost or the CA download', async () => {
    const lan = await hub.hub.http.inject({
      method: 'GET',
      url: '/api/health',
      remoteAddress: '192.168.1.23',
      headers: { host: '192.168.1.20:8080' },
    });
    expect(lan.statusCode).toBe(308);
    expect(lan.headers.location).toBe(`https://192.168.1.20:${httpsPort()}/api/health`);
    const ca = await hub.hub.http.inject({ method: 'GET', url: '/ca.crt', remoteAddress: '192.168.1.23' });
    expect(ca.statusCode).toBe(200);
    const local = await hub.hub.http.inject({ method: 'GET', url: '/api/health' });
    expect(local.statusCode).toBe(200);
  });
});

describe('MQTT over TLS', () => {
  it("lets Debian's mosquitto_pub publish with device credentials over TLS, verified by --cafile", async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const caFile = path.join(mkdtempSync(path.join(tmpdir(), 'homepay-ca-')), 'ca.crt');
    writeFileSync(caFile, caCertPem);
    const plug = await addDevice(hub, {
      profile: 'tasmota-plug',
      name: 'TLS plug',
      identity: 'tasmota_TLS001',
    });
    const readings: unknown[] = [];
    hub.hub.events.on(readings, 'device.message', (e) => {
      if (e.deviceId === plug.id) readings.push(e.message);
    });
    await execFileAsync(
      mosquittoBinary('mosquitto_pub'),
      [
        '-h',
        'localhost',
        '-p',
        String(mqttsPort()),
        '--cafile',
        caFile,
        '-u',
        plug.username,
        '-P',
        plug.password,
        '-q',
        '1',
        '-t',
        'tele/tasmota_TLS001/SENSOR',
        '-m',
        '{"ENERGY":{"Total":2.5,"Power":10}}',
      ],
      { timeout: 5000 },
    );
    await eventually(() => readings.length === 1);
    expect(readings[0]).toMatchObject({ energyWh: 2500, powerW: 10 });
    hub.hub.events.removeAllOf(readings);
  });

  it('admits a device by its client certificate from the hub CA, without a password', async () => {
    const meter = await addDevice(hub, { profile: 'homepay-meter', name: 'Cert meter' });
    const issued = await hub.api({ method: 'POST', url: `/api/devices/${meter.id}/certificate` });
    expect(issued.statusCode).toBe(201);
    const { certificate, privateKey } = issued.json() as { certificate: string; privateKey: string };
    const client = await mqtt.connectAsync(`mqtts://localhost:${mqttsPort()}`, {
      ca: caCertPem,
      cert: certificate,
      key: privateKey,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    await client.publishAsync(`homepay/meter/${meter.id}/reading`, '{"energyWh": 10, "powerW": 1}', {
      qos: 1,
    });
    await eventually(() => hub.hub.registry.require(meter.id).online);
    await client.endAsync();
    // Not stored: the private key is shown once only.
    expect(JSON.stringify(hub.hub.db.prepare('SELECT * FROM devices').all())).not.toContain('PRIVATE KEY');
  });

  it("revokes a device's certificates when its secret is rotated, and admits one issued after", async () => {
    const meter = await addDevice(hub, { profile: 'homepay-meter', name: 'Rotated meter' });
    const issue = async () =>
      (await hub.api({ method: 'POST', url: `/api/devices/${meter.id}/certificate` })).json() as {
        certificate: string;
        privateKey: string;
      };
    const connectWith = (issued: { certificate: string; privateKey: string }) =>
      mqtt.connectAsync(`mqtts://localhost:${mqttsPort()}`, {
        ca: caCertPem,
        cert: issued.certificate,
        key: issued.privateKey,
        protocolVersion: 4,
        reconnectPeriod: 0,
      });
    const before = await issue();
    const connected = await connectWith(before);
    const closed = new Promise<void>((resolve) => connected.once('close', () => resolve()));
    expect((await hub.api({ method: 'POST', url: `/api/devices/${meter.id}/rotate` })).statusCode).toBe(200);
    // The live connection ends at once, and the certificate no longer logs in.
    await closed;
    connected.end(true);
    await expect(connectWith(before)).rejects.toThrow(/Not authorized/i);
    expect(
      hub.logs.some(
        (l) => l.msg === 'client certificate revoked or not on record' && l.deviceId === meter.id,
      ),
    ).toBe(true);
    const after = await connectWith(await issue());
    expect(after.connected).toBe(true);
    await after.endAsync();
  });

  it("refuses a certificate from the hub's CA that the hub never issued to the device", async () => {
    const meter = await addDevice(hub, { profile: 'homepay-meter', name: 'Forged meter' });
    // Signed by the CA (as a stolen CA key, or a certificate minted outside the API, would be) but not on record.
    const tls = hub.hub.tls;
    if (!tls) throw new Error('TLS is on in the test hub');
    const minted = await tls.issueDeviceCertificate(meter.id);
    await expect(
      mqtt.connectAsync(`mqtts://localhost:${mqttsPort()}`, {
        ca: caCertPem,
        cert: minted.certPem,
        key: minted.keyPem,
        protocolVersion: 4,
        reconnectPeriod: 0,
      }),
    ).rejects.toThrow(/Not authorized/i);
  });

  it('refuses a client certificate that names no registered device', async () => {
    const meter = await addDevice(hub, { profile: 'homepay-meter', name: 'Gone meter' });
    const { certificate, privateKey } = (
      await hub.api({ method: 'POST', url: `/api/devices/${meter.id}/certificate` })
    ).json();
    await hub.api({ method: 'DELETE', url: `/api/devices/${meter.id}` });
    await expect(
      mqtt.connectAsync(`mqtts://localhost:${mqttsPort()}`, {
        ca: caCertPem,
        cert: certificate,
        key: privateKey,
        protocolVersion: 4,
        reconnectPeriod: 0,
      }),
    ).rejects.toThrow(/Not authorized/i);
  });
});
