import { Migration } from '@mikro-orm/migrations';

export class Migration20261207105538 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "category_creators" ("sourced_id" text not null, "client_id" text not null, constraint "category_creators_pkey" primary key ("sourced_id"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "category_creators" cascade;`);
  }

}
