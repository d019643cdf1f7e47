import type { CatalogItem } from '../catalog/schema.js';
import type { RequestedLine } from './interpret.js';

/** How long "which one?" waits for its answer, and how long an answer is kept for a redelivery. */
export const MEMORY_MS = 60_000;
/** Bounded, so a device that talks all day cannot grow the hub's memory. */
const MAX_ENTRIES = 500;

/** A "which one?" the hub asked a device, waiting for its next words. */
export interface OpenQuestion {
  choices: CatalogItem[];
  quantity: number;
  /** Items of the same order that were already clear. */
  lines: RequestedLine[];
  /** The words that raised the question, kept for the phone. */
  said: string;
  askedAt: number;
}

/**
 * Short-lived conversation state, in memory on purpose: after a restart a person simply says the
 * order again, while a stale question answered hours later would be worse. Keyed by device (a
 * speaker may open a new session for its answer; a satellite keeps the same one).
 */
export class OpenQuestions {
  private readonly questions = new Map<string, OpenQuestion>();

  ask(deviceId: string, question: OpenQuestion): void {
    this.questions.delete(deviceId);
    this.questions.set(deviceId, question);
    trim(this.questions);
  }

  /** The open question of a device, removed: an answer is taken once. */
  take(deviceId: string, now: number): OpenQuestion | undefined {
    const question = this.questions.get(deviceId);
    this.questions.delete(deviceId);
    return question && now - question.askedAt <= MEMORY_MS ? question : undefined;
  }

  clear(): void {
    this.questions.clear();
  }
}

/**
 * What the hub said to each (device, session, words) lately. A QoS 1 redelivery of the same words
 * gets the same answer again instead of being acted on twice (a second "cancel" would otherwise
 * say there is nothing to cancel).
 */
export class RecentAnswers {
  private readonly answers = new Map<string, { text: string; question: boolean; at: number }>();

  remember(key: string, text: string, question: boolean, now: number): void {
    this.answers.delete(key);
    this.answers.set(key, { text, question, at: now });
    trim(this.answers);
  }

  find(key: string, now: number): { text: string; question: boolean } | undefined {
    const answer = this.answers.get(key);
    return answer && now - answer.at <= MEMORY_MS ? answer : undefined;
  }

  clear(): void {
    this.answers.clear();
  }
}

function trim(map: Map<string, unknown>): void {
  while (map.size > MAX_ENTRIES) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) return;
    map.delete(oldest);
  }
}
