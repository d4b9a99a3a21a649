import { Migration } from '@mikro-orm/migrations';

/**
 * The grade outbox by record: a sync of a source whose gradebook is also pulled asks, for each line item and
 * result it would write, whether the record still waits to be pushed (src/sync/outbox-pending.ts), and
 * delivery reads a record's rows in order; both read this instead of every undelivered row of the source.
 */
export class Migration20261207050544 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index "grade_outbox_source_name_record_type_sourced_id_id_index" on "grade_outbox" ("source_name", "record_type", "sourced_id", "id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "grade_outbox_source_name_record_type_sourced_id_id_index";`);
  }

}
