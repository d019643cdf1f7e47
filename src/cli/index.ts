import { Command, CommanderError } from 'commander';
import { ConfigError, loadSettings } from '../config/load.js';
import { version } from '../paths.js';
import { configureSimulateCommand } from '../simulator/command.js';
import { registerDeviceCommands } from './device-commands.js';
import { diagnose } from './doctor.js';
import { ApiError, HubClient, HubUnreachableError } from './hub-client.js';
import { registerPhoneCommands } from './phone-commands.js';

const print = (line: string) => process.stdout.write(`${line}\n`);

/** Settings are read lazily so `homepay --help` works even with a broken config. */
function settings() {
  return loadSettings();
}

export function buildProgram(): Command {
  const program = new Command('homepay').version(version).description('homepay smart-home payment hub');

  program
    .command('start')
    .description('run the hub (same as npm start)')
    .action(async () => {
      const { runHub } = await import('../main.js');
      await runHub();
    });

  const admin = () => HubClient.fromSettings(settings().settings);
  registerDeviceCommands(program, admin, print);
  registerPhoneCommands(program, admin, print);
  configureSimulateCommand(program.command('simulate'));

  program
    .command('keys')
    .description('secrets at rest')
    .command('rotate')
    .description('make a new data key and re-encrypt every secret at rest under it')
    .action(async () => {
      const result = await admin().request<{ keyId: string; rows: number; files: number }>(
        'POST',
        '/api/admin/keys/rotate',
      );
      print(
        `Data key ${result.keyId} is current; re-encrypted ${result.rows} stored secrets and ${result.files} key files.`,
      );
    });

  program
    .command('doctor')
    .description('check config, ports, data dir, broker and devices, and say how to fix what is wrong')
    .action(async () => {
      const loaded = settings();
      const findings = await diagnose(loaded.settings, loaded.file, HubClient.fromSettings(loaded.settings));
      for (const f of findings) {
        print(`${f.ok ? '✔' : '✘'} ${f.check.padEnd(12)} ${f.detail}`);
        if (!f.ok && f.fix) print(`  → ${f.fix}`);
      }
      if (findings.some((f) => !f.ok)) process.exitCode = 1;
    });

  return program;
}

export async function runCli(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof ConfigError || err instanceof HubUnreachableError) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    if (err instanceof ApiError) {
      process.stderr.write(`error: ${err.message} (${err.code})\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}
