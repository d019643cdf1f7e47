import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database, { type Statement } from 'better-sqlite3';
import { migrate } from './migrations/index.js';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the hub's SQLite file and brings its schema up to date.
 * WAL lets the CLI read while the hub writes; `synchronous = FULL` because a payment that was
 * acknowledged must survive a power cut, not only a process crash.
 */
export function openDatabase(file: string): Db {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

/**
 * Runs `work` in one IMMEDIATE transaction: the write lock is taken before the first read, so a
 * read-then-write (a balance check, a state check) cannot race another writer. Work is synchronous:
 * never `await` inside.
 */
export function inTransaction<T>(db: Db, work: () => T): T {
  return db.transaction(work).immediate();
}

const statementsByDb = new WeakMap<Db, Map<string, Statement>>();

/**
 * The prepared statement for `sql` on `db`, prepared once and kept. Preparing costs about as much
 * as running a small statement, and an order or an approval runs dozens (docs/performance.md).
 * Only for statements used as they come: one whose modes are changed (`safeIntegers`, `pluck`,
 * `raw`) is shared by every caller with the same SQL, so prepare those with `db.prepare`.
 * Dynamic SQL must come from a small set of texts (each one is kept).
 */
export function prepared(db: Db, sql: string): Statement {
  let statements = statementsByDb.get(db);
  if (!statements) {
    statements = new Map();
    statementsByDb.set(db, statements);
  }
  let statement = statements.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    statements.set(sql, statement);
  }
  return statement;
}
