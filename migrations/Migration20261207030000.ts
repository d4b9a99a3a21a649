import { Migration } from '@mikro-orm/migrations';

/**
 * Unchanged files of a re-import (src/csv/unchanged-files.ts): the digest of the file each table was
 * last imported from (`csv_file_digests`), and a write counter per table the CSV import writes: a
 * sequence `csv_writes_<table>` that a statement-level trigger advances on every insert, update,
 * delete, truncate or COPY, whoever runs it (API, sync, seed, an import). The trigger also counts the
 * transaction's own advances in the transaction-local setting `oneroster.writes_<table>`, so an
 * import can tell its own writes from everyone else's. A sequence, not a counter row: advancing it
 * takes no lock, so concurrent writers of one table never wait for each other.
 */
const TABLES = ['orgs', 'academic_sessions', 'categories', 'resources', 'courses', 'classes', 'users', 'demographics', 'enrollments',
  'line_items', 'results', 'class_resources', 'course_resources', 'user_profiles', 'user_roles', 'score_scales',
  'line_item_learning_objectives', 'line_item_score_scales', 'result_learning_objectives', 'result_score_scales', 'user_resources',
  'class_terms', 'user_agents'];

export class Migration20261207030000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "csv_file_digests" ("table_name" text not null, "file" text not null, "settings" text not null, "digest" text not null, "rows" bigint not null, "writes" jsonb not null, "imported_at" timestamptz not null default now(), constraint "csv_file_digests_pkey" primary key ("table_name"));`);
    this.addSql(`create function csv_count_writes() returns trigger language plpgsql as $$
      declare own text := 'oneroster.writes_' || tg_table_name;
      begin
        perform nextval(format('%I.%I', tg_table_schema, 'csv_writes_' || tg_table_name));
        perform set_config(own, (coalesce(nullif(current_setting(own, true), ''), '0')::bigint + 1)::text, true);
        return null;
      end $$;`);
    for (const t of TABLES) {
      this.addSql(`create sequence "csv_writes_${t}";`);
      this.addSql(`create trigger csv_count_writes after insert or update or delete or truncate on "${t}" for each statement execute function csv_count_writes();`);
    }
  }

  override async down(): Promise<void> {
    for (const t of TABLES) {
      this.addSql(`drop trigger if exists csv_count_writes on "${t}";`);
      this.addSql(`drop sequence if exists "csv_writes_${t}";`);
    }
    this.addSql(`drop function if exists csv_count_writes();`);
    this.addSql(`drop table if exists "csv_file_digests" cascade;`);
  }

}
