import { Migration } from '@mikro-orm/migrations';

export class Migration20261207075355 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "sources" add column "page_size" int null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "sources" drop column "page_size";`);
  }

}
