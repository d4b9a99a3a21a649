import { Migration } from '@mikro-orm/migrations';

/**
 * Part sourcedIds (src/shared/sourced-id.ts `partSourcedId`) were `<owner>:<property>[:<position>]`, which the
 * sourcedId rule refuses, so the service's own CSV export of parts written by REST or a sync did not import
 * again. They become `<owner>/<property>[/<position>]`. No entry point accepts `:`, so every such id is one
 * the service made; one whose new form is taken already (a part imported under it) keeps its old id.
 */
const PART_TABLES = ['line_item_score_scales', 'line_item_learning_objectives', 'result_score_scales', 'result_learning_objectives',
  'class_resources', 'course_resources', 'user_resources'];

export class Migration20261207060500 extends Migration {

  override async up(): Promise<void> {
    for (const table of PART_TABLES) {
      this.addSql(`update "${table}" t set "sourced_id" = replace(t."sourced_id", ':', '/') where strpos(t."sourced_id", ':') > 0
        and not exists (select 1 from "${table}" u where u."sourced_id" = replace(t."sourced_id", ':', '/'));`);
      this.addSql(`update "source_records" r set "sourced_id" = replace(r."sourced_id", ':', '/') where r."table_name" = '${table}'
        and strpos(r."sourced_id", ':') > 0 and exists (select 1 from "${table}" t where t."sourced_id" = replace(r."sourced_id", ':', '/'))
        and not exists (select 1 from "source_records" u where u."table_name" = r."table_name" and u."sourced_id" = replace(r."sourced_id", ':', '/'));`);
    }
  }

  override async down(): Promise<void> {
    // The `/` form is valid under every rule: nothing to undo.
  }

}
