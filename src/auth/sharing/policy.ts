import type { ReadPolicy } from '../../data/read-policy.js';
import { column, or, sql, type Sql, type SqlSession } from '../../db/sql.js';
import type { EntityName } from '../../model/dsl.js';

/**
 * What a client limited to some orgs may read: one predicate per type, added by the data layer to
 * every statement that reads the type (src/data/read-policy.ts). The visibility table is the README's
 * "Data sharing" section; this file is its one implementation.
 *
 * The visible orgs (the given orgs and their descendants) and academic sessions (those the visible
 * classes, courses and line items run in, and their parents) are worked out once per client
 * (SharingRules caches them for a few seconds) and bound as one array parameter each; every other
 * predicate joins through indexed foreign keys to those arrays, so a scoped statement stays one statement.
 */
export interface VisibleSets { orgs: readonly string[]; sessions: readonly string[] }

/** A PostgreSQL text[] literal bound as one parameter (the ORM's pool would spread a JS array into a list). */
export function textArray(values: readonly string[]): Sql {
  const literal = `{${values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
  return sql`${literal}::text[]`;
}

/** The visible orgs and sessions of a client limited to `orgIds`. */
export async function visibleSets(session: SqlSession, orgIds: readonly string[]): Promise<VisibleSets> {
  const given = textArray(orgIds);
  const orgRows = await session.run(sql`
    with recursive visible(id) as (
      select sourced_id from orgs where sourced_id = any(${given})
      union select o.sourced_id from orgs o join visible v on o.parent_sourced_id = v.id)
    select id from visible`);
  const orgs = orgRows.map((r) => String(r.id));
  const o = textArray(orgs);
  const sessionRows = await session.run(sql`
    with recursive used(id) as (
      select ct.term_sourced_id from class_terms ct join classes c on c.sourced_id = ct.class_sourced_id where c.school_sourced_id = any(${o})
      union select school_year_sourced_id from courses where org_sourced_id = any(${o}) and school_year_sourced_id is not null
      union select cs.school_year_sourced_id from courses cs join classes c on c.course_sourced_id = cs.sourced_id
        where c.school_sourced_id = any(${o}) and cs.school_year_sourced_id is not null
      union select grading_period_sourced_id from line_items where school_sourced_id = any(${o}) and grading_period_sourced_id is not null
      union select academic_session_sourced_id from line_items where school_sourced_id = any(${o}) and academic_session_sourced_id is not null
      union select s.parent_sourced_id from academic_sessions s join used u on s.sourced_id = u.id where s.parent_sourced_id is not null)
    select id from used`);
  return { orgs, sessions: sessionRows.map((r) => String(r.id)) };
}

/** The policy of a client limited to the orgs of `sets`. */
export class SharingPolicy implements ReadPolicy {
  private readonly orgs: Sql;
  private readonly sessions: Sql;
  private readonly orgSet: ReadonlySet<string>;
  private readonly sessionSet: ReadonlySet<string>;

  constructor(readonly sets: VisibleSets) {
    this.orgs = textArray(sets.orgs);
    this.sessions = textArray(sets.sessions);
    this.orgSet = new Set(sets.orgs);
    this.sessionSet = new Set(sets.sessions);
  }

  /**
   * Whether a reference to `id` may be served without reading the row. Orgs and sessions are known
   * here; references to the other types point, by the table's construction, at visible rows (a visible
   * class's course, a visible line item's category), and reading beyond the sourcedId goes through the predicates.
   */
  refVisible(entity: EntityName, id: string): boolean {
    if (entity === 'Org') return this.orgSet.has(id);
    if (entity === 'AcademicSession') return this.sessionSet.has(id);
    return true;
  }

  rows(entity: EntityName, alias: string): Sql {
    const c = (name: string) => column(alias, name);
    switch (entity) {
      case 'Org': return sql`${c('sourced_id')} = any(${this.orgs})`;
      case 'AcademicSession': return sql`${c('sourced_id')} = any(${this.sessions})`;
      case 'Course': return this.course(c('sourced_id'), c('org_sourced_id'));
      case 'Class': return this.inOrgs(c('school_sourced_id'));
      case 'ClassTerm': return this.classVisible(c('class_sourced_id'));
      case 'Enrollment': return this.inOrgs(c('school_sourced_id'));
      case 'User': return this.userVisible(c('sourced_id'));
      // A visible user's roles are those held in visible orgs.
      case 'UserRole': return this.inOrgs(c('org_sourced_id'));
      case 'UserProfile': return this.userVisible(c('user_sourced_id'));
      // Agents only where both people are visible.
      case 'UserAgent': return sql`${this.userVisible(c('user_sourced_id'))} and ${this.userVisible(c('agent_sourced_id'))}`;
      case 'Demographics': return this.userVisible(c('sourced_id'));
      // A category has no org: it is seen through the line items that use it. One that no line item uses yet tells
      // nothing about any school, and a vendor creates its category before the line items (grade passback's order).
      case 'Category': return or([
        sql`exists (select 1 from line_items sh_li where sh_li.category_sourced_id = ${c('sourced_id')} and sh_li.school_sourced_id = any(${this.orgs}))`,
        sql`not exists (select 1 from line_items sh_lu where sh_lu.category_sourced_id = ${c('sourced_id')})`,
      ]);
      case 'LineItem': return this.inOrgs(c('school_sourced_id'));
      case 'LineItemLearningObjective': case 'LineItemScoreScale': return this.lineItemVisible(c('line_item_sourced_id'));
      case 'Result': return this.lineItemVisible(c('line_item_sourced_id'));
      case 'ResultLearningObjective': case 'ResultScoreScale':
        return sql`exists (select 1 from results sh_r join line_items sh_rli on sh_rli.sourced_id = sh_r.line_item_sourced_id
          where sh_r.sourced_id = ${c('result_sourced_id')} and sh_rli.school_sourced_id = any(${this.orgs}))`;
      case 'ScoreScale': return or([this.inOrgs(c('org_sourced_id')), this.classVisible(c('class_sourced_id'))]);
      case 'AssessmentLineItem': return this.classVisible(c('class_sourced_id'));
      case 'AssessmentResult':
        return sql`exists (select 1 from assessment_line_items sh_ali join classes sh_ac on sh_ac.sourced_id = sh_ali.class_sourced_id
          where sh_ali.sourced_id = ${c('assessment_line_item_sourced_id')} and sh_ac.school_sourced_id = any(${this.orgs}))`;
      case 'Resource': return or([
        sql`exists (select 1 from course_resources sh_cr join courses sh_crc on sh_crc.sourced_id = sh_cr.course_sourced_id
          where sh_cr.resource_sourced_id = ${c('sourced_id')} and sh_cr.status <> 'tobedeleted'
          and ${this.course(sql.ref('sh_crc.sourced_id'), sql.ref('sh_crc.org_sourced_id'))})`,
        sql`exists (select 1 from class_resources sh_clr join classes sh_clc on sh_clc.sourced_id = sh_clr.class_sourced_id
          where sh_clr.resource_sourced_id = ${c('sourced_id')} and sh_clr.status <> 'tobedeleted' and sh_clc.school_sourced_id = any(${this.orgs}))`,
        sql`exists (select 1 from user_resources sh_ur where sh_ur.resource_sourced_id = ${c('sourced_id')} and sh_ur.status <> 'tobedeleted'
          and ${this.userVisible(sql.ref('sh_ur.user_sourced_id'))})`,
      ]);
      case 'CourseResource': return sql`exists (select 1 from courses sh_rc where sh_rc.sourced_id = ${c('course_sourced_id')}
        and ${this.course(sql.ref('sh_rc.sourced_id'), sql.ref('sh_rc.org_sourced_id'))})`;
      case 'ClassResource': return this.classVisible(c('class_sourced_id'));
      case 'UserResource': return this.userVisible(c('user_sourced_id'));
    }
  }

  private inOrgs(orgColumn: Sql): Sql {
    return sql`${orgColumn} = any(${this.orgs})`;
  }

  private classVisible(classColumn: Sql): Sql {
    return sql`exists (select 1 from classes sh_c where sh_c.sourced_id = ${classColumn} and sh_c.school_sourced_id = any(${this.orgs}))`;
  }

  private lineItemVisible(lineItemColumn: Sql): Sql {
    return sql`exists (select 1 from line_items sh_l where sh_l.sourced_id = ${lineItemColumn} and sh_l.school_sourced_id = any(${this.orgs}))`;
  }

  /** Courses of visible orgs, and courses with classes at visible schools (a class's course is never a dangling reference). */
  private course(id: Sql, orgColumn: Sql): Sql {
    return sql`(${orgColumn} = any(${this.orgs})
      or exists (select 1 from classes sh_cc where sh_cc.course_sourced_id = ${id} and sh_cc.school_sourced_id = any(${this.orgs})))`;
  }

  /** Users with an active (not tobedeleted) role or enrollment in a visible org. */
  private userVisible(userColumn: Sql): Sql {
    return sql`(exists (select 1 from user_roles sh_ro where sh_ro.user_sourced_id = ${userColumn}
        and sh_ro.status <> 'tobedeleted' and sh_ro.org_sourced_id = any(${this.orgs}))
      or exists (select 1 from enrollments sh_en where sh_en.user_sourced_id = ${userColumn}
        and sh_en.status <> 'tobedeleted' and sh_en.school_sourced_id = any(${this.orgs})))`;
  }
}
