import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import nacl from 'tweetnacl';
import { approvalFieldsOf, buildApprovalMessage, signApprovalMessage } from '../confirm/approval-message.js';
import type { Intent } from '../payments/intent.js';
import { HubClient } from './hub-client.js';

/** A phone's identity for scripts: what the web app keeps in IndexedDB, as a 0600 JSON file. */
export interface PhoneKeyFile {
  hub: string;
  phoneId: string;
  token: string;
  /** base64 of the 64-byte tweetnacl secret key. */
  secretKey: string;
}

export function registerPhoneCommands(
  program: Command,
  admin: () => HubClient,
  print: (line: string) => void,
): void {
  program
    .command('pair')
    .description('pair this computer as a phone and write its key file (for scripts and tests)')
    .requiredOption('--name <name>', 'the name the household sees')
    .requiredOption('--out <file>', 'where to write the key file (mode 0600)')
    .action(async (options: { name: string; out: string }) => {
      const client = admin();
      const { code } = await client.request<{ code: string }>('POST', '/api/pairing');
      const keyPair = nacl.sign.keyPair();
      const paired = await new HubClient(client.baseUrl, undefined).request<{
        phoneId: string;
        token: string;
      }>('POST', '/api/phones', {
        code,
        name: options.name,
        publicKey: Buffer.from(keyPair.publicKey).toString('base64'),
      });
      const keyFile: PhoneKeyFile = {
        hub: client.baseUrl,
        phoneId: paired.phoneId,
        token: paired.token,
        secretKey: Buffer.from(keyPair.secretKey).toString('base64'),
      };
      writeFileSync(options.out, `${JSON.stringify(keyFile, null, 2)}\n`, { mode: 0o600 });
      print(`Paired as ${paired.phoneId}; key written to ${options.out} (keep it secret).`);
    });

  for (const action of ['approve', 'deny'] as const) {
    program
      .command(`${action} <intentId>`)
      .description(`${action} a payment intent, signing the v1 approval message with a key file`)
      .requiredOption('--key <file>', 'key file written by `homepay pair`')
      .action(async (intentId: string, options: { key: string }) => {
        const key = JSON.parse(readFileSync(options.key, 'utf8')) as PhoneKeyFile;
        const phone = new HubClient(process.env.HOMEPAY_URL ?? key.hub, key.token);
        const intent = await phone.request<Intent>('GET', `/api/intents/${encodeURIComponent(intentId)}`);
        print(
          `${intent.description}: ${intent.amount} ${intent.currency} to ${intent.payee.name} (${intent.payee.id})`,
        );
        const message = buildApprovalMessage(approvalFieldsOf(intent, action, key.phoneId));
        const signature = signApprovalMessage(message, new Uint8Array(Buffer.from(key.secretKey, 'base64')));
        const decided = await phone.request<Intent>(
          'POST',
          `/api/intents/${encodeURIComponent(intent.id)}/${action}`,
          {
            phoneId: key.phoneId,
            signature,
          },
        );
        print(`${decided.id} is ${decided.status}${decided.lastError ? ` (${decided.lastError})` : ''}`);
      });
  }
}
