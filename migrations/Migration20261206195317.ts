import { Migration } from '@mikro-orm/migrations';

/** State several instances must agree on: failed-login counts and the JWT signing keys (issue 17). */
export class Migration20261206195317 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "auth_failures" ("key" text not null, "failures_ms" bigint[] not null, "touched_at" timestamptz not null, constraint "auth_failures_pkey" primary key ("key"));`);
    this.addSql(`create index "auth_failures_touched_at_index" on "auth_failures" ("touched_at");`);

    this.addSql(`create table "signing_keys" ("kid" text not null, "key" text not null, "created_at" timestamptz not null, constraint "signing_keys_pkey" primary key ("kid"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "auth_failures" cascade;`);
    this.addSql(`drop table if exists "signing_keys" cascade;`);
  }

}
