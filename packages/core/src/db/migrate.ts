import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Database, Queryable } from './database.ts';
import { assertSchemaName } from './identifiers.ts';

export interface Migration {
  /** Unique across sources, e.g. "core/0001_jobs". */
  id: string;
  sql: string;
}

/** Reads NNNN_name.sql files from a folder, in order, under a source prefix. */
export function loadMigrations(source: string, folder: URL | string): Migration[] {
  const dir = typeof folder === 'string' ? folder : fileURLToPath(folder);
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ id: `${source}/${f.replace(/\.sql$/, '')}`, sql: readFileSync(`${dir}/${f}`, 'utf8') }));
}

export const coreMigrations = (): Migration[] => loadMigrations('core', new URL('../migrations/', import.meta.url));

export interface MigrateResult {
  applied: string[];
}

/**
 * Applies pending migrations forward-only, in one transaction under a transaction-scoped
 * advisory lock, so that processes starting together apply each migration exactly once.
 */
export async function migrate(db: Database, opts: { schema: string; migrations: Migration[] }): Promise<MigrateResult> {
  const schema = assertSchemaName(opts.schema);
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`jobfleet:migrate:${schema}`]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set((await tx.query<{ id: string }>(`SELECT id FROM ${schema}.migrations`)).rows.map((r) => r.id));
    const applied: string[] = [];
    for (const m of opts.migrations) {
      if (done.has(m.id)) continue;
      await runScript(tx, m.sql.replaceAll('{{schema}}', schema));
      await tx.query(`INSERT INTO ${schema}.migrations (id) VALUES ($1)`, [m.id]);
      applied.push(m.id);
    }
    return { applied };
  });
}

/** Lists migrations not yet applied (for readiness checks). */
export async function pendingMigrations(db: Queryable, opts: { schema: string; migrations: Migration[] }): Promise<string[]> {
  const schema = assertSchemaName(opts.schema);
  const exists = await db.query<{ ok: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS ok`, [`${schema}.migrations`]);
  if (!exists.rows[0]?.ok) return opts.migrations.map((m) => m.id);
  const done = new Set((await db.query<{ id: string }>(`SELECT id FROM ${schema}.migrations`)).rows.map((r) => r.id));
  return opts.migrations.filter((m) => !done.has(m.id)).map((m) => m.id);
}

/**
 * Splits a migration into statements on semicolons that end a line, except inside dollar-quoted
 * bodies ($$ … $$ or $tag$ … $tag$), so that function definitions stay whole. Comment lines are dropped.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current: string[] = [];
  let quote: string | null = null;
  for (const line of sql.split('\n')) {
    if (quote === null && /^\s*--/.test(line)) continue;
    current.push(line);
    for (const m of line.matchAll(/\$[A-Za-z_]*\$/g)) {
      if (quote === null) quote = m[0];
      else if (m[0] === quote) quote = null;
    }
    if (quote === null && /;\s*$/.test(line)) {
      statements.push(current.join('\n').replace(/;\s*$/, '').trim());
      current = [];
    }
  }
  const rest = current.join('\n').trim();
  if (rest) statements.push(rest);
  return statements.filter(Boolean);
}

async function runScript(tx: Queryable, sql: string): Promise<void> {
  for (const s of splitStatements(sql)) await tx.query(s);
}
