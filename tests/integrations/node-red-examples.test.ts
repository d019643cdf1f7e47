import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/mqtt.js';
import { type IntegrationHub, startIntegrationHub } from './integration-hub.js';
import { coreNode, examplesDir, helper, homepayNodes, type RedNode } from './node-red-helper.js';

/** The core nodes the examples use, as Node-RED ships them. */
const coreNodes = [
  'common/20-inject.js',
  'common/21-debug.js',
  'common/25-catch.js',
  'common/90-comment.js',
  'function/10-function.js',
  'function/10-switch.js',
  'function/15-change.js',
  'network/21-httpin.js',
  'network/21-httprequest.js',
].map(coreNode);

type FlowNode = { id: string; type: string; [key: string]: unknown };

const examples = readdirSync(examplesDir).filter((file) => file.endsWith('.json'));

let home: IntegrationHub;

beforeAll(async () => {
  home = await startIntegrationHub();
  await helper.startServer();
});

afterEach(async () => {
  await helper.unload();
});

afterAll(async () => {
  await helper.stopServer();
  await home.hub.stop();
});

/** An example as a person imports it, then points its config node at this hub. */
function imported(file: string): FlowNode[] {
  const flow = JSON.parse(readFileSync(path.join(examplesDir, file), 'utf8')) as FlowNode[];
  return flow.map((n) =>
    n.type === 'homepay-hub'
      ? {
          ...n,
          hubUrl: home.hubUrl,
          eventsDeviceId: home.events.id,
          speakerDeviceId: home.speaker.id,
          retrySeconds: 0.2,
        }
      : n,
  );
}

function credentials(flow: FlowNode[]) {
  const hub = flow.find((n) => n.type === 'homepay-hub');
  return hub
    ? {
        [hub.id]: {
          token: home.hub.adminToken,
          eventsSecret: home.events.password,
          speakerSecret: home.speaker.password,
        },
      }
    : {};
}

function node(id: string): RedNode {
  const found = helper.getNode(id);
  if (!found) throw new Error(`no node ${id}`);
  return found;
}

/** Error-level lines Node-RED logged (level 20), e.g. an unknown node type or a constructor that threw. */
function loggedErrors(): unknown[] {
  return helper._logSpy
    .getCalls()
    .map((call) => call.args[0])
    .flatMap((entry) =>
      // Level 20 is an error; missing node types are logged at info level but stop the flows.
      entry && (entry.level <= 20 || entry.msg === 'nodes.flows.missing-types') ? [entry.msg] : [],
    );
}

describe('example flows', () => {
  it('there are the four the issue asks for', () => {
    expect(examples.sort()).toEqual([
      'nightly-spending-summary.json',
      'prepaid-topup-when-low.json',
      'spend-alert-to-chat.json',
      'voice-order-from-another-assistant.json',
    ]);
  });

  for (const file of examples) {
    it(`${file} loads into the Node-RED runtime without errors, every node running`, async () => {
      const flow = imported(file);
      expect(
        flow.some((n) => n.type === 'tab'),
        'imports as a tab of its own',
      ).toBe(true);
      await helper.load([...homepayNodes, ...coreNodes], flow, credentials(flow));
      for (const n of flow.filter((n) => n.type !== 'tab')) {
        expect(helper.getNode(n.id), `${file}: node ${n.id} (${n.type}) is running`).not.toBeNull();
      }
      // The connections the flow needs come up against the real hub.
      for (const n of flow.filter((n) => n.type === 'homepay-events')) {
        const statuses: Array<{ fill?: string }> = [];
        node(n.id).on('call:status', (call) => statuses.push(call.args[0] as { fill?: string }));
        await eventually(() => statuses.some((s) => s.fill === 'green'));
      }
      expect(loggedErrors()).toEqual([]);
      // Exported flows carry no secrets: the config node's credentials live elsewhere.
      expect(JSON.stringify(flow)).not.toContain(home.hub.adminToken);
    });
  }

  it('the nightly summary runs end to end: 21:00 inject -> spending -> text', async () => {
    const flow = imported('nightly-spending-summary.json');
    await helper.load([...homepayNodes, ...coreNodes], flow, credentials(flow));
    const summary = new Promise<Record<string, unknown>>((resolve) =>
      node('summary-debug').on('input', (msg) => resolve(msg)),
    );
    node('at-nine').receive({ payload: Date.now() });
    const { payload } = await summary;
    expect(String(payload)).toMatch(/^homepay: (nothing was paid today\.|\d+ payment\(s\) today, ¥)/);
  });

  it('the low-balance flow asks for no top-up while the wallet holds enough', async () => {
    const flow = imported('prepaid-topup-when-low.json');
    await helper.load([...homepayNodes, ...coreNodes], flow, credentials(flow));
    const checked = new Promise<void>((resolve) =>
      node('balance').on('call:status', (call) => {
        if ((call.args[0] as { fill?: string }).fill === 'green') resolve();
      }),
    );
    let asked = false;
    node('topup').on('input', () => {
      asked = true;
    });
    node('every-hour').receive({ payload: Date.now() });
    await checked;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(asked).toBe(false);
  });
});
