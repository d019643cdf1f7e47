import { pathToFileURL } from 'node:url';
import { ConfigError, loadSettings } from './config/load.js';
import { Hub } from './hub.js';
import { createLogger } from './logger.js';

/**
 * The process: read settings, start the hub, stop it cleanly on SIGINT/SIGTERM. Everything else
 * is in hub.ts, so tests start the same hub in-process.
 */
export async function runHub(): Promise<void> {
  let loaded: ReturnType<typeof loadSettings>;
  try {
    loaded = loadSettings();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ level: loaded.settings.logLevel });
  logger.info({ config: loaded.file ?? '(embedded defaults)' }, 'starting homepay');
  const hub = new Hub({ settings: loaded.settings, logger });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping homepay');
    hub
      .stop()
      .then(() => {
        logger.info('homepay stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'stop failed');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  try {
    await hub.start();
  } catch (err) {
    logger.fatal({ err }, 'homepay could not start');
    process.exit(1);
  }
}

// `node dist/src/main.js` runs the hub; importing this module (the CLI does) does not.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void runHub();
}
