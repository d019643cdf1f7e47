import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type TestHub } from '../helpers/hub.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await startHub();
});
afterAll(async () => {
  await hub.stop();
});

describe('health and docs', () => {
  it('answers GET /api/health without a token once ready, with the bound MQTT port', async () => {
    const response = await hub.api({ method: 'GET', url: '/api/health', token: null });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      status: 'ok',
      mqtt: { port: hub.mqttPort },
      version: expect.any(String),
    });
    expect(hub.mqttPort).toBeGreaterThan(0);
  });

  it('serves the OpenAPI document, listing the device routes', async () => {
    const response = await hub.api({ method: 'GET', url: '/docs/json', token: null });
    expect(response.statusCode).toBe(200);
    const paths = Object.keys((response.json() as { paths: object }).paths);
    expect(paths).toEqual(expect.arrayContaining(['/api/health', '/api/devices', '/api/devices/{id}']));
  });
});

describe('admin authentication', () => {
  it('refuses a request without a token with 401 and the error shape', async () => {
    const response = await hub.api({ method: 'GET', url: '/api/devices', token: null });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
  });

  it('refuses a wrong token', async () => {
    const response = await hub.api({ method: 'GET', url: '/api/devices', token: 'hpa_not-the-token' });
    expect(response.statusCode).toBe(401);
  });

  it('answers an unknown route with 404 not_found', async () => {
    const response = await hub.api({ method: 'GET', url: '/api/nothing-here' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('not_found');
  });
});

describe('devices over HTTP', () => {
  it('registers a device and returns its secret once; listing never shows it', async () => {
    const created = await hub.api({
      method: 'POST',
      url: '/api/devices',
      payload: { profile: 'tasmota-plug', name: 'Fridge', identity: 'tasmota_8A1F2C' },
    });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body).toMatchObject({
      profile: 'tasmota-plug',
      name: 'Fridge',
      identity: 'tasmota_8A1F2C',
      online: false,
    });
    expect(body.id).toMatch(/^dev_[0-9a-z]{16}$/);
    expect(body.mqtt).toEqual({ username: body.id, password: expect.stringMatching(/^.{24,}$/) });

    const listed = await hub.api({ method: 'GET', url: '/api/devices' });
    expect(listed.body).not.toContain(body.mqtt.password);
    expect(listed.json()).toContainEqual(expect.objectContaining({ id: body.id, lastSeen: null }));
    const one = await hub.api({ method: 'GET', url: `/api/devices/${body.id}` });
    expect(one.json()).not.toHaveProperty('mqtt');
    // Only a hash is stored.
    const row = hub.hub.db.prepare('SELECT secret_hash FROM devices WHERE id = ?').get(body.id) as {
      secret_hash: string;
    };
    expect(row.secret_hash).toMatch(/^scrypt\$/);
    expect(row.secret_hash).not.toContain(body.mqtt.password);
  });

  it('uses the device id as identity for native profiles', async () => {
    const created = await hub.api({
      method: 'POST',
      url: '/api/devices',
      payload: { profile: 'homepay-speaker', name: 'Kitchen' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().identity).toBe(created.json().id);
  });

  it('explains what is wrong with a bad registration', async () => {
    const cases: Array<[object, number, string]> = [
      [{ profile: 'toaster', name: 'X' }, 400, 'unknown_profile'],
      [{ profile: 'tasmota-plug', name: 'X' }, 400, 'invalid_identity'],
      [{ profile: 'tasmota-plug', name: 'X', identity: 'a/b' }, 400, 'invalid_identity'],
      [{ profile: 'tasmota-plug', name: 'X', identity: 'a+b' }, 400, 'invalid_identity'],
      [{ profile: 'tasmota-plug', name: 42, identity: 'x' }, 400, 'invalid_request'],
      [{ profile: 'tasmota-plug', name: 'X', identity: 'x', extra: true }, 400, 'invalid_request'],
      [{ profile: 'tasmota-plug', name: 'Again', identity: 'tasmota_8A1F2C' }, 409, 'identity_taken'],
    ];
    for (const [payload, status, code] of cases) {
      const response = await hub.api({ method: 'POST', url: '/api/devices', payload });
      expect({ payload, status: response.statusCode, code: response.json().error?.code }).toEqual({
        payload,
        status,
        code,
      });
    }
  });

  it('answers an unknown device id with 404 device_not_found', async () => {
    for (const [method, url] of [
      ['GET', '/api/devices/dev_nope'],
      ['DELETE', '/api/devices/dev_nope'],
      ['POST', '/api/devices/dev_nope/rotate'],
    ] as const) {
      const response = await hub.api({ method, url });
      expect(response.statusCode).toBe(404);
      expect(response.json().error.code).toBe('device_not_found');
    }
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const response = await hub.api({
      method: 'POST',
      url: '/api/devices',
      payload: JSON.stringify({ profile: 'tasmota-plug', name: 'x'.repeat(1_100_000) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('payload_too_large');
  });
});
