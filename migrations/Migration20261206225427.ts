import { Migration } from '@mikro-orm/migrations';

/** Grades back to the SIS: `sources.push_grades` and the grade outbox (src/sync/outbox-*.ts). */
export class Migration20261206225427 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "grade_outbox" ("id" bigserial primary key, "source_name" text not null, "record_type" text not null, "sourced_id" text not null, "method" text not null, "body" jsonb null, "created_at" timestamptz not null default now(), "attempts" int not null default 0, "next_attempt_at" timestamptz not null default now(), "claimed_until" timestamptz null, "last_error" text null, "delivered_at" timestamptz null, "failed_at" timestamptz null);`);
    this.addSql(`create index "grade_outbox_source_name_delivered_at_failed_at_id_index" on "grade_outbox" ("source_name", "delivered_at", "failed_at", "id");`);

    this.addSql(`alter table "grade_outbox" add constraint "grade_outbox_source_name_foreign" foreign key ("source_name") references "sources" ("name") on update cascade on delete cascade;`);

    this.addSql(`alter table "sources" add column "push_grades" boolean not null default false;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "grade_outbox" cascade;`);

    this.addSql(`alter table "sources" drop column "push_grades";`);
  }

}
