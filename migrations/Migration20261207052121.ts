import { Migration } from '@mikro-orm/migrations';

/** The optional collections a sync run went without (the upstream did not offer them), for `sources list`. */
export class Migration20261207052121 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "sync_runs" add column "skipped" jsonb null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "sync_runs" drop column "skipped";`);
  }

}
