import type { Command } from 'commander';
import type { HubClient } from './hub-client.js';

interface DeviceJson {
  id: string;
  profile: string;
  name: string;
  identity: string;
  parentId: string | null;
  online: boolean;
  lastSeen: string | null;
}

interface CreatedDeviceJson extends DeviceJson {
  mqtt: { username: string; password: string };
}

export function registerDeviceCommands(
  program: Command,
  client: () => HubClient,
  print: (line: string) => void,
): void {
  const device = program.command('device').description('register and manage devices');

  device
    .command('add')
    .description('register a device and print its MQTT credentials (shown once)')
    .requiredOption('--profile <profile>', 'device kind, e.g. tasmota-plug (see devices/)')
    .requiredOption('--name <name>', 'a name people recognise, e.g. Fridge')
    .option('--identity <identity>', 'Tasmota topic, Shelly id, Hermes siteId or bridge base topic')
    .action(async (options: { profile: string; name: string; identity?: string }) => {
      const created = await client().request<CreatedDeviceJson>('POST', '/api/devices', options);
      print(`Registered ${created.name} (${created.profile}) as ${created.id}, identity ${created.identity}`);
      print(`MQTT username: ${created.mqtt.username}`);
      print(`MQTT password: ${created.mqtt.password}`);
      print('The password is shown only now; rotate it with `homepay device rotate` if it is lost.');
    });

  device
    .command('list')
    .description('list devices with their presence')
    .action(async () => {
      const devices = await client().request<DeviceJson[]>('GET', '/api/devices');
      if (devices.length === 0)
        print('No devices yet. Add one with: homepay device add --profile ... --name ...');
      for (const d of devices) {
        const presence = d.online ? 'online' : `offline (last seen ${d.lastSeen ?? 'never'})`;
        print(`${d.id}  ${d.profile.padEnd(18)} ${d.name.padEnd(20)} ${d.identity.padEnd(24)} ${presence}`);
      }
    });

  device
    .command('remove <id>')
    .description('remove a device; its client is disconnected and refused from now on')
    .action(async (id: string) => {
      const removed = await client().request<DeviceJson>('DELETE', `/api/devices/${encodeURIComponent(id)}`);
      print(`Removed ${removed.name} (${removed.id})`);
    });

  device
    .command('rotate <id>')
    .description('give a device a new secret; the old one is refused at once')
    .action(async (id: string) => {
      const credentials = await client().request<{ username: string; password: string }>(
        'POST',
        `/api/devices/${encodeURIComponent(id)}/rotate`,
      );
      print(`MQTT username: ${credentials.username}`);
      print(`MQTT password: ${credentials.password}`);
    });
}
