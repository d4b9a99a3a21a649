import { Migration } from '@mikro-orm/migrations';

export class Migration20261207100000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "sources" add column "push_concurrency" int null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "sources" drop column "push_concurrency";`);
  }

}
