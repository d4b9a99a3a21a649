import { Migration } from '@mikro-orm/migrations';

/** Sharing rules per client (issue 16): the orgs a client is limited to (null: the whole district) and its denied fields. */
export class Migration20261206200500 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "oauth_clients" add column "allowed_orgs" text[] null, add column "denied_fields" text[] null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "oauth_clients" drop column "allowed_orgs", drop column "denied_fields";`);
  }

}
