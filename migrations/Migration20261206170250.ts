import { Migration } from '@mikro-orm/migrations';

export class Migration20261206170250 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "oauth_nonces" ("client_id" text not null, "nonce" text not null, "expires_at" timestamptz not null, constraint "oauth_nonces_pkey" primary key ("client_id", "nonce"));`);
    this.addSql(`create index "oauth_nonces_expires_at_index" on "oauth_nonces" ("expires_at");`);

    this.addSql(`create table "server_settings" ("name" text not null, "value" jsonb not null, constraint "server_settings_pkey" primary key ("name"));`);

    this.addSql(`alter table "oauth_clients" add column "signing_secret" text null, add column "token_generation" int not null default 0;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "oauth_nonces" cascade;`);

    this.addSql(`drop table if exists "server_settings" cascade;`);

    this.addSql(`alter table "oauth_clients" drop column "signing_secret", drop column "token_generation";`);
  }

}
