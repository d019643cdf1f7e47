import { afterAll, describe, expect, it } from 'vitest';
import { addDevice, startHub, type TestHub } from '../helpers/hub.js';
import { connectClient } from '../helpers/mqtt.js';

let hub: TestHub | undefined;
afterAll(async () => {
  await hub?.stop();
});

describe('restart', () => {
  it('keeps devices and the admin token, and still refuses a rotated secret', async () => {
    hub = await startHub();
    const plug = await addDevice(hub, {
      profile: 'tasmota-plug',
      name: 'Fridge',
      identity: 'tasmota_8A1F2C',
    });
    const rotated = (await hub.api({ method: 'POST', url: `/api/devices/${plug.id}/rotate` })).json() as {
      password: string;
    };

    await hub.restart();

    const listed = await hub.api({ method: 'GET', url: '/api/devices' });
    expect(listed.statusCode).toBe(200);
    expect(listed.json()).toEqual([expect.objectContaining({ id: plug.id, name: 'Fridge', online: false })]);
    await expect(connectClient(hub.mqttPort, { username: plug.id, password: plug.password })).rejects.toThrow(
      /Not authorized/i,
    );
    const client = await connectClient(hub.mqttPort, { username: plug.id, password: rotated.password });
    await client.endAsync();
  });
});
