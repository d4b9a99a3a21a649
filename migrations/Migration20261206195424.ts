import { Migration } from '@mikro-orm/migrations';

/**
 * The aggregator: upstream sources, which source delivered each record, and the sync run history
 * (src/sync/entities.ts). source_records.sourced_id is collate "C" like every sourcedId column
 * (Migration20261127120000), added by hand: MikroORM does not model collations.
 */
export class Migration20261206195424 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "sources" ("name" text not null, "base_url" text not null, "version" text not null, "auth" text not null, "token_url" text null, "client_id" text not null, "client_secret_sealed" text not null, "scope" text null, "services" text[] not null, "prefix" text null, "every_seconds" int null, "created_at" timestamptz not null, constraint "sources_pkey" primary key ("name"));`);

    this.addSql(`create table "source_records" ("table_name" text not null, "sourced_id" text collate "C" not null, "source_name" text not null, constraint "source_records_pkey" primary key ("table_name", "sourced_id"));`);
    this.addSql(`create index "source_records_source_name_table_name_index" on "source_records" ("source_name", "table_name");`);

    this.addSql(`create table "sync_runs" ("id" serial primary key, "source_name" text not null, "mode" text not null, "dry_run" boolean not null default false, "started_at" timestamptz not null default now(), "finished_at" timestamptz null, "status" text not null default 'running', "error" text null, "fetched" int not null default 0, "changed" int not null default 0, "deleted" int not null default 0);`);
    this.addSql(`create index "sync_runs_source_name_started_at_index" on "sync_runs" ("source_name", "started_at");`);

    this.addSql(`alter table "source_records" add constraint "source_records_source_name_foreign" foreign key ("source_name") references "sources" ("name") on update cascade on delete cascade;`);

    this.addSql(`alter table "sync_runs" add constraint "sync_runs_source_name_foreign" foreign key ("source_name") references "sources" ("name") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "source_records" drop constraint "source_records_source_name_foreign";`);

    this.addSql(`alter table "sync_runs" drop constraint "sync_runs_source_name_foreign";`);

    this.addSql(`drop table if exists "sources" cascade;`);

    this.addSql(`drop table if exists "source_records" cascade;`);

    this.addSql(`drop table if exists "sync_runs" cascade;`);
  }

}
