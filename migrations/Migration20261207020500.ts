import { Migration } from '@mikro-orm/migrations';

/**
 * source_records without its foreign key to sources: a sync writes one row per record it delivers, and
 * the key's check ran once per row (about half the cost of a first run's ownership rows). Removing a
 * source deletes its rows itself (src/sync/sources.ts removeSource), as the cascade did.
 */
export class Migration20261207020500 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "source_records" drop constraint "source_records_source_name_foreign";`);
  }

  override async down(): Promise<void> {
    this.addSql(`delete from "source_records" r where not exists (select 1 from "sources" s where s.name = r.source_name);`);
    this.addSql(`alter table "source_records" add constraint "source_records_source_name_foreign" foreign key ("source_name") references "sources" ("name") on update cascade on delete cascade;`);
  }
}
