import { Migration } from '@mikro-orm/migrations';

export class Migration20261127054025 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "academic_sessions" ("sourced_id" text not null, "status" text not null default 'active', "date_last_modified" timestamptz not null default now(), "metadata" jsonb null, "title" text not null, "start_date" date not null, "end_date" date not null, "type" text not null, "parent_sourced_id" text null, "school_year" text not null, constraint "academic_sessions_pkey" primary key ("sourced_id"));`);
    this.addSql(`create index "academic_sessions_date_last_modified_index" on "academic_sessions" ("date_last_modified");`);
    this.addSql(`create index "academic_sessions_type_index" on "academic_sessions" ("type");`);
    this.addSql(`create index "academic_sessions_parent_sourced_id_index" on "academic_sessions" ("parent_sourced_id");`);

    this.addSql(`create table "categories" ("sourced_id" text not null, "status" text not null default 'active', "date_last_modified" timestamptz not null default now(), "metadata" jsonb null, "title" text not null, "weight" double precision null, constraint "categories_pkey" primary key ("sourced_id"));`);
    this.addSql(`create index "categories_date_last_modified_index" on "categories" ("date_last_modified");`);

    this.addSql(`create table "demographics" ("sourced_id" text not null, "status" text not null default 'active', "date_last_modified" timestamptz not null default now(), "metadata" jsonb null, "birth_date" date null, "sex" text null, "american_indian_or_alaska_native" boolean null, "asian" boolean null, "black_or_african_american" boolean null, "native_hawaiian_or_other_pacific_islander" boolean null, "white" boolean null, "demographic_race_two_or_more_races" boolean null, "hispanic_or_latino_ethnicity" boolean null, "country_of_birth_code" text null, "state_of_birth_abbreviation" text null, "city_of_birth" text null, "public_school_residence_status" text null, constraint "demographics_pkey" primary key ("sourced_id"));`);
    this.addSql(`create index "demographics_date_last_modified_index" on "demographics" ("date_last_modified");`);

    this.addSql(`create table "oauth_clients" ("client_id" text not null, "name" text not null, "secret_hash" text not null, "scopes" text[] not null, "created_at" timestamptz not null, constraint "oauth_clients_pkey" primary key ("client_id"));`);

    this.addSql(`create table "orgs" ("sourced_id" text not null, "status" text not null default 'active', "date_last_modified" timestamptz not null default now(), "metadata" jsonb null, "name" text not null, "type" text not null, "identifier" text null, "parent_sourced_id" text null, constraint "orgs_pkey" primary key ("sourced_id"));`);
    this.addSql(`create index "orgs_date_last_modified_index" on "orgs" ("date_last_modified");`);
    this.addSql(`create index "orgs_name_index" on "orgs" ("name");`);
    this.addSql(`create index "orgs_type_index" on "orgs" ("type");`);
    this.addSql(`create index "orgs_parent_sourced_id_index" on "orgs" ("parent_sourced_id");`);

    this.addSql(`create table "courses" ("sourced_id" text not null, "status" text not null default 'active', "date_last_modified" timestamptz not null default now(), "metadata" jsonb null, "title" text not null, "school_year_sourced_id" text null, "course_code" text null, "grades" text[] null, "subjects" text[] null, "org_sourced_id" text null, "subject_codes" text[] null, constraint "courses_pkey" primary key ("sourced_id"));`);
    this.addSql(`create index "courses_date_last_modified_index" on "courses" ("date_last_modified");`);
    this.addSql(`create index "courses_school_year_sourced_id_index" on "courses" ("school_year_sourced_id");`);
    this.addSql(`create index "courses_org_sourced_id_index" on "courses" ("org_sourced_id");`);

    this.addSql(`create table "classes" ("sourced_id" text not null, "status" text not null default 'active', "date_last_modified" timestamptz not null default now(), "metadata" jsonb null, "title" text not null, "class_code" text null, "class_type" text null, "location" text null, "grades" text[] null, "subjects" text[] null, "course_sourced_id" text not null, "school_sourced_id" text not null, "subject_codes" text[] null, "periods" text[] null, constraint "classes_pkey" primary key ("sourced_id"));`);
    this.addSql(`create index "classes_date_last_modified_index" on "classes" ("date_last_modified");`);
    this.addSql(`create index "classes_course_sourced_id_index" on "classes" ("course_sourced_id");`);
    this.addSql(`create index "classes_school_sourced_id_index" on "classes" ("school_sourced_id");`);

    this.addSql(`create table "line_items" ("sourced_id" text not null, "status" text not null default 'active', "date_last_modified" timestamptz not null default now(), "metadata" jsonb null, "title" text not null, "description" text null, "assign_date" timestamptz not null, "due_date" timestamptz not null, "class_sourced_id" text not null, "school_sourced_id" text not null, "category_sourced_id" text not null, "grading_period_sourced_id" text null, "academic_session_sourced_id" text null, "result_value_min" double precision null, "result_value_max" double precision null, constraint "line_items_pkey" primary key ("sourced_id"));`);
    this.addSql(`create index "line_items_date_last_modified_index" on "line_items" ("date_last_modified");`);
    this.addSql(`create index "line_items_class_sourced_id_index" on "line_items" ("class_sourced_id");`);
    this.addSql(`create index "line_items_school_sourced_id_index" on "line_items" ("school_sourced_id");`);
    this.addSql(`create index "line_items_category_sourced_id_index" on "line_items" ("category_sourced_id");`);
    this.addSql(`create index "line_items_grading_period_sourced_id_index" on "line_items" ("grading_period_sourced_id");`);
    this.addSql(`create index "line_items_academic_session_sourced_id_index" on "line_items" ("academic_session_sourced_id");`);

    this.addSql(`create table "line_item_learning_objectives" ("sourced_id" text not null, "status" text not null default 'active', "date_last_modified" timestamptz not null default now(), "metadata" jsonb null, "line_item_sourced_id" text not null, "source" text not null, "learning_objective_id" text not null, constraint "line_item_learning_objectives_pkey" primary key ("sourced_id"));`);
    this.addSql(`create index "line_item_learning_objectives_date_last_modified_index" on "line_item_learning_objectives" ("date_last_modified");`);
    this.addSql(`create index "line_item_learning_objectives_line_item_sourced_id_index" on "line_item_learning_objectives" ("line_item_sourced_id");`);

    this.addSql(`create table "class_terms" ("class_sourced_id" text not null, "term_sourced_id" text not null, constraint "class_terms_pkey" primary key ("class_sourced_id", "term_sourced_id"));`);
    this.addSql(`create index "class_terms_class_sourced_id_index" on "class_terms" ("class_sourced_id");`);
    this.addSql(`create index "class_terms_term_sourced_id_index" on "class_terms" ("term_sourced_id");`);

    this.addSql(`create table "resources" ("sourced_id" text not null, "status" text not null default 'active', "date_last_modified" timestamptz not null default now(), "metadata" jsonb null, "title" text null, "roles" text[] null, "importance" text null, "vendor_resource_id" text not null, "vendor_id" text null, "application_id" text null, constraint "resources_pkey" primary key ("sourced_id"));`);
    this.addSql(`create index "resources_date_last_modified_index" on "resources" ("date_last_modified");`);

    this.addSql(`create table "course_resources" ("sourced_id" text not null, "status" text not null default 'active', "date_last_modified" timestamptz not null default now(), "metadata" jsonb null, "title" text null, "course_sourced_id" text not null, "resource_sourced_id" text not null, constraint "course_resources_pkey" primary key ("sourced_id"));`);
    this.addSql(`create index "course_resources_date_last_modified_index" on "course_resources" ("date_last_modified");`);
    this.addSql(`create index "course_resources_course_sourced_id_index" on "course_resources" ("course_sourced_id");`);
    this.addSql(`create index "course_resources_resource_sourced_id_index" on "course_resources" ("resource_sourced_id");`);

    this.addSql(`create table "class_resources" ("sourced_id" text not null, "status" text not null default 'active', "date_last_modified" timestamptz not null default now(), "metadata" jsonb null, "title" text null, "class_sourced_id" text not null, "resource_sourced_id" text not null, constraint "class_resources_pkey" primary key ("sourced_id"));`);
    this.addSql(`create index "class_resources_date_last_modified_index" on "class_resources" ("date_last_modified");`);
    this.addSql(`create index "class_resources_class_sourced_id_index" on "class_resources" ("class_sourced_id");`);
    this.addSql(`create index "class_resources_resource_sourced_id_index" on "class_resources" ("resource_sourced_id");`);

    this.addSql(`create table "score_scales" ("sourced_id" text not null, "status" text not null default 'active', "date_last_modified" timestamptz not null default now(), "metadata" jsonb null, "title" text not null, "type" text not null, "org_sourced_id" text null, "course_sourced_id" text null, "class_sourced_id" text not null, "score_scale_value" jsonb not null, constraint "score_scales_pkey" primary key ("sourced_id"));`);
    this.addSql(`create index "score_scales_date_last_modified_index" on "score_scales" ("date_last_modified");`);
    this.addSql(`create index "score_scales_org_sourced_id_index" on "score_scales" ("org_sourced_id");`);
    this.addSql(`create index "score_scales_course_sourced_id_index" on "score_scales" ("course_sourced_id");`);
    this.addSql(`create index "score_scales_class_sourced_id_index" on "score_scales" ("class_sourced_id");`);

    this.addSql(`create table "line_item_score_scales" ("sourced_id" text not null, "status" text not null default 'active', "date_last_modified" timestamptz not null default now(), "metadata" jsonb null, "title" text null, "line_item_sourced_id" text not null, "score_scale_sourced_id" text not null, constraint "line_item_score_scales_pkey" primary key ("sourced_id"));`);
    this.addSql(`create index "line_item_score_scales_date_last_modified_index" on "line_item_score_scales" ("date_last_modified");`);
    this.addSql(`create index "line_item_score_scales_line_item_sourced_id_index" on "line_item_score_scales" ("line_item_sourced_id");`);
    this.addSql(`create index "line_item_score_scales_score_scale_sourced_id_index" on "line_item_score_scales" ("score_scale_sourced_id");`);

    this.addSql(`create table "assessment_line_items" ("sourced_id" text not null, "status" text not null default 'active', "date_last_modified" timestamptz not null default now(), "metadata" jsonb null, "title" text not null, "description" text null, "class_sourced_id" text null, "parent_assessment_line_item_sourced_id" text null, "score_scale_sourced_id" text null, "result_value_min" double precision null, "result_value_max" double precision null, "learning_objective_set" jsonb null, constraint "assessment_line_items_pkey" primary key ("sourced_id"));`);
    this.addSql(`create index "assessment_line_items_date_last_modified_index" on "assessment_line_items" ("date_last_modified");`);
    this.addSql(`create index "assessment_line_items_class_sourced_id_index" on "assessment_line_items" ("class_sourced_id");`);
    this.addSql(`create index "assessment_line_items_parent_assessment_line_item__d354e_index" on "assessment_line_items" ("parent_assessment_line_item_sourced_id");`);
    this.addSql(`create index "assessment_line_items_score_scale_sourced_id_index" on "assessment_line_items" ("score_scale_sourced_id");`);

    this.addSql(`create table "users" ("sourced_id" text not null, "status" text not null default 'active', "date_last_modified" timestamptz not null default now(), "metadata" jsonb null, "user_master_identifier" text null, "username" text null, "user_ids" jsonb null, "enabled_user" boolean not null, "given_name" text not null, "family_name" text not null, "middle_name" text null, "preferred_first_name" text null, "preferred_middle_name" text null, "preferred_last_name" text null, "pronouns" text null, "primary_org_sourced_id" text null, "identifier" text null, "email" text null, "sms" text null, "phone" text null, "grades" text[] null, "password" text null, constraint "users_pkey" primary key ("sourced_id"));`);
    this.addSql(`create index "users_date_last_modified_index" on "users" ("date_last_modified");`);
    this.addSql(`create index "users_family_name_index" on "users" ("family_name");`);
    this.addSql(`create index "users_primary_org_sourced_id_index" on "users" ("primary_org_sourced_id");`);

    this.addSql(`create table "results" ("sourced_id" text not null, "status" text not null default 'active', "date_last_modified" timestamptz not null default now(), "metadata" jsonb null, "line_item_sourced_id" text not null, "student_sourced_id" text not null, "class_sourced_id" text null, "score_status" text not null, "score" double precision null, "text_score" text null, "score_date" date not null, "comment" text null, "in_progress" boolean null, "incomplete" boolean null, "late" boolean null, "missing" boolean null, constraint "results_pkey" primary key ("sourced_id"));`);
    this.addSql(`create index "results_date_last_modified_index" on "results" ("date_last_modified");`);
    this.addSql(`create index "results_line_item_sourced_id_index" on "results" ("line_item_sourced_id");`);
    this.addSql(`create index "results_student_sourced_id_index" on "results" ("student_sourced_id");`);
    this.addSql(`create index "results_class_sourced_id_index" on "results" ("class_sourced_id");`);

    this.addSql(`create table "result_score_scales" ("sourced_id" text not null, "status" text not null default 'active', "date_last_modified" timestamptz not null default now(), "metadata" jsonb null, "title" text null, "result_sourced_id" text not null, "score_scale_sourced_id" text not null, constraint "result_score_scales_pkey" primary key ("sourced_id"));`);
    this.addSql(`create index "result_score_scales_date_last_modified_index" on "result_score_scales" ("date_last_modified");`);
    this.addSql(`create index "result_score_scales_result_sourced_id_index" on "result_score_scales" ("result_sourced_id");`);
    this.addSql(`create index "result_score_scales_score_scale_sourced_id_index" on "result_score_scales" ("score_scale_sourced_id");`);

    this.addSql(`create table "result_learning_objectives" ("sourced_id" text not null, "status" text not null default 'active', "date_last_modified" timestamptz not null default now(), "metadata" jsonb null, "result_sourced_id" text not null, "source" text not null, "learning_objective_id" text not null, "score" double precision null, "text_score" text null, constraint "result_learning_objectives_pkey" primary key ("sourced_id"));`);
    this.addSql(`create index "result_learning_objectives_date_last_modified_index" on "result_learning_objectives" ("date_last_modified");`);
    this.addSql(`create index "result_learning_objectives_result_sourced_id_index" on "result_learning_objectives" ("result_sourced_id");`);

    this.addSql(`create table "enrollments" ("sourced_id" text not null, "status" text not null default 'active', "date_last_modified" timestamptz not null default now(), "metadata" jsonb null, "user_sourced_id" text not null, "class_sourced_id" text not null, "school_sourced_id" text not null, "role" text not null, "primary" boolean null, "begin_date" date null, "end_date" date null, constraint "enrollments_pkey" primary key ("sourced_id"));`);
    this.addSql(`create index "enrollments_date_last_modified_index" on "enrollments" ("date_last_modified");`);
    this.addSql(`create index "enrollments_user_sourced_id_index" on "enrollments" ("user_sourced_id");`);
    this.addSql(`create index "enrollments_class_sourced_id_index" on "enrollments" ("class_sourced_id");`);
    this.addSql(`create index "enrollments_school_sourced_id_index" on "enrollments" ("school_sourced_id");`);
    this.addSql(`create index "enrollments_role_index" on "enrollments" ("role");`);

    this.addSql(`create table "assessment_results" ("sourced_id" text not null, "status" text not null default 'active', "date_last_modified" timestamptz not null default now(), "metadata" jsonb null, "assessment_line_item_sourced_id" text not null, "student_sourced_id" text not null, "score" double precision null, "text_score" text null, "score_date" date not null, "score_scale_sourced_id" text null, "score_percentile" double precision null, "score_status" text not null, "comment" text null, "learning_objective_set" jsonb null, "in_progress" boolean null, "incomplete" boolean null, "late" boolean null, "missing" boolean null, constraint "assessment_results_pkey" primary key ("sourced_id"));`);
    this.addSql(`create index "assessment_results_date_last_modified_index" on "assessment_results" ("date_last_modified");`);
    this.addSql(`create index "assessment_results_assessment_line_item_sourced_id_index" on "assessment_results" ("assessment_line_item_sourced_id");`);
    this.addSql(`create index "assessment_results_student_sourced_id_index" on "assessment_results" ("student_sourced_id");`);
    this.addSql(`create index "assessment_results_score_scale_sourced_id_index" on "assessment_results" ("score_scale_sourced_id");`);

    this.addSql(`create table "user_agents" ("user_sourced_id" text not null, "agent_sourced_id" text not null, constraint "user_agents_pkey" primary key ("user_sourced_id", "agent_sourced_id"));`);
    this.addSql(`create index "user_agents_user_sourced_id_index" on "user_agents" ("user_sourced_id");`);
    this.addSql(`create index "user_agents_agent_sourced_id_index" on "user_agents" ("agent_sourced_id");`);

    this.addSql(`create table "user_profiles" ("sourced_id" text not null, "status" text not null default 'active', "date_last_modified" timestamptz not null default now(), "metadata" jsonb null, "user_sourced_id" text not null, "profile_type" text not null, "vendor_id" text not null, "application_id" text null, "description" text null, "credentials" jsonb null, constraint "user_profiles_pkey" primary key ("sourced_id"));`);
    this.addSql(`create index "user_profiles_date_last_modified_index" on "user_profiles" ("date_last_modified");`);
    this.addSql(`create index "user_profiles_user_sourced_id_index" on "user_profiles" ("user_sourced_id");`);

    this.addSql(`create table "user_resources" ("sourced_id" text not null, "status" text not null default 'active', "date_last_modified" timestamptz not null default now(), "metadata" jsonb null, "user_sourced_id" text not null, "org_sourced_id" text null, "class_sourced_id" text null, "resource_sourced_id" text not null, constraint "user_resources_pkey" primary key ("sourced_id"));`);
    this.addSql(`create index "user_resources_date_last_modified_index" on "user_resources" ("date_last_modified");`);
    this.addSql(`create index "user_resources_user_sourced_id_index" on "user_resources" ("user_sourced_id");`);
    this.addSql(`create index "user_resources_org_sourced_id_index" on "user_resources" ("org_sourced_id");`);
    this.addSql(`create index "user_resources_class_sourced_id_index" on "user_resources" ("class_sourced_id");`);
    this.addSql(`create index "user_resources_resource_sourced_id_index" on "user_resources" ("resource_sourced_id");`);

    this.addSql(`create table "user_roles" ("sourced_id" text not null, "status" text not null default 'active', "date_last_modified" timestamptz not null default now(), "metadata" jsonb null, "user_sourced_id" text not null, "role_type" text not null, "role" text not null, "org_sourced_id" text not null, "user_profile" text null, "begin_date" date null, "end_date" date null, constraint "user_roles_pkey" primary key ("sourced_id"));`);
    this.addSql(`create index "user_roles_date_last_modified_index" on "user_roles" ("date_last_modified");`);
    this.addSql(`create index "user_roles_user_sourced_id_index" on "user_roles" ("user_sourced_id");`);
    this.addSql(`create index "user_roles_role_index" on "user_roles" ("role");`);
    this.addSql(`create index "user_roles_org_sourced_id_index" on "user_roles" ("org_sourced_id");`);

    this.addSql(`alter table "academic_sessions" add constraint "academic_sessions_parent_sourced_id_foreign" foreign key ("parent_sourced_id") references "academic_sessions" ("sourced_id") on update cascade on delete no action;`);

    this.addSql(`alter table "orgs" add constraint "orgs_parent_sourced_id_foreign" foreign key ("parent_sourced_id") references "orgs" ("sourced_id") on update cascade on delete no action;`);

    this.addSql(`alter table "courses" add constraint "courses_school_year_sourced_id_foreign" foreign key ("school_year_sourced_id") references "academic_sessions" ("sourced_id") on update cascade on delete no action;`);
    this.addSql(`alter table "courses" add constraint "courses_org_sourced_id_foreign" foreign key ("org_sourced_id") references "orgs" ("sourced_id") on update cascade on delete no action;`);

    this.addSql(`alter table "classes" add constraint "classes_course_sourced_id_foreign" foreign key ("course_sourced_id") references "courses" ("sourced_id") on update cascade on delete no action;`);
    this.addSql(`alter table "classes" add constraint "classes_school_sourced_id_foreign" foreign key ("school_sourced_id") references "orgs" ("sourced_id") on update cascade on delete no action;`);

    this.addSql(`alter table "line_items" add constraint "line_items_class_sourced_id_foreign" foreign key ("class_sourced_id") references "classes" ("sourced_id") on update cascade on delete no action;`);
    this.addSql(`alter table "line_items" add constraint "line_items_school_sourced_id_foreign" foreign key ("school_sourced_id") references "orgs" ("sourced_id") on update cascade on delete no action;`);
    this.addSql(`alter table "line_items" add constraint "line_items_category_sourced_id_foreign" foreign key ("category_sourced_id") references "categories" ("sourced_id") on update cascade on delete no action;`);
    this.addSql(`alter table "line_items" add constraint "line_items_grading_period_sourced_id_foreign" foreign key ("grading_period_sourced_id") references "academic_sessions" ("sourced_id") on update cascade on delete no action;`);
    this.addSql(`alter table "line_items" add constraint "line_items_academic_session_sourced_id_foreign" foreign key ("academic_session_sourced_id") references "academic_sessions" ("sourced_id") on update cascade on delete no action;`);

    this.addSql(`alter table "line_item_learning_objectives" add constraint "line_item_learning_objectives_line_item_sourced_id_foreign" foreign key ("line_item_sourced_id") references "line_items" ("sourced_id") on update cascade on delete no action;`);

    this.addSql(`alter table "class_terms" add constraint "class_terms_class_sourced_id_foreign" foreign key ("class_sourced_id") references "classes" ("sourced_id") on update cascade on delete cascade;`);
    this.addSql(`alter table "class_terms" add constraint "class_terms_term_sourced_id_foreign" foreign key ("term_sourced_id") references "academic_sessions" ("sourced_id") on update cascade on delete cascade;`);

    this.addSql(`alter table "course_resources" add constraint "course_resources_course_sourced_id_foreign" foreign key ("course_sourced_id") references "courses" ("sourced_id") on update cascade on delete no action;`);
    this.addSql(`alter table "course_resources" add constraint "course_resources_resource_sourced_id_foreign" foreign key ("resource_sourced_id") references "resources" ("sourced_id") on update cascade on delete no action;`);

    this.addSql(`alter table "class_resources" add constraint "class_resources_class_sourced_id_foreign" foreign key ("class_sourced_id") references "classes" ("sourced_id") on update cascade on delete no action;`);
    this.addSql(`alter table "class_resources" add constraint "class_resources_resource_sourced_id_foreign" foreign key ("resource_sourced_id") references "resources" ("sourced_id") on update cascade on delete no action;`);

    this.addSql(`alter table "score_scales" add constraint "score_scales_org_sourced_id_foreign" foreign key ("org_sourced_id") references "orgs" ("sourced_id") on update cascade on delete no action;`);
    this.addSql(`alter table "score_scales" add constraint "score_scales_course_sourced_id_foreign" foreign key ("course_sourced_id") references "courses" ("sourced_id") on update cascade on delete no action;`);
    this.addSql(`alter table "score_scales" add constraint "score_scales_class_sourced_id_foreign" foreign key ("class_sourced_id") references "classes" ("sourced_id") on update cascade on delete no action;`);

    this.addSql(`alter table "line_item_score_scales" add constraint "line_item_score_scales_line_item_sourced_id_foreign" foreign key ("line_item_sourced_id") references "line_items" ("sourced_id") on update cascade on delete no action;`);
    this.addSql(`alter table "line_item_score_scales" add constraint "line_item_score_scales_score_scale_sourced_id_foreign" foreign key ("score_scale_sourced_id") references "score_scales" ("sourced_id") on update cascade on delete no action;`);

    this.addSql(`alter table "assessment_line_items" add constraint "assessment_line_items_class_sourced_id_foreign" foreign key ("class_sourced_id") references "classes" ("sourced_id") on update cascade on delete no action;`);
    this.addSql(`alter table "assessment_line_items" add constraint "assessment_line_items_parent_assessment_line_ite_1b995_foreign" foreign key ("parent_assessment_line_item_sourced_id") references "assessment_line_items" ("sourced_id") on update cascade on delete no action;`);
    this.addSql(`alter table "assessment_line_items" add constraint "assessment_line_items_score_scale_sourced_id_foreign" foreign key ("score_scale_sourced_id") references "score_scales" ("sourced_id") on update cascade on delete no action;`);

    this.addSql(`alter table "users" add constraint "users_primary_org_sourced_id_foreign" foreign key ("primary_org_sourced_id") references "orgs" ("sourced_id") on update cascade on delete no action;`);

    this.addSql(`alter table "results" add constraint "results_line_item_sourced_id_foreign" foreign key ("line_item_sourced_id") references "line_items" ("sourced_id") on update cascade on delete no action;`);
    this.addSql(`alter table "results" add constraint "results_student_sourced_id_foreign" foreign key ("student_sourced_id") references "users" ("sourced_id") on update cascade on delete no action;`);
    this.addSql(`alter table "results" add constraint "results_class_sourced_id_foreign" foreign key ("class_sourced_id") references "classes" ("sourced_id") on update cascade on delete no action;`);

    this.addSql(`alter table "result_score_scales" add constraint "result_score_scales_result_sourced_id_foreign" foreign key ("result_sourced_id") references "results" ("sourced_id") on update cascade on delete no action;`);
    this.addSql(`alter table "result_score_scales" add constraint "result_score_scales_score_scale_sourced_id_foreign" foreign key ("score_scale_sourced_id") references "score_scales" ("sourced_id") on update cascade on delete no action;`);

    this.addSql(`alter table "result_learning_objectives" add constraint "result_learning_objectives_result_sourced_id_foreign" foreign key ("result_sourced_id") references "results" ("sourced_id") on update cascade on delete no action;`);

    this.addSql(`alter table "enrollments" add constraint "enrollments_user_sourced_id_foreign" foreign key ("user_sourced_id") references "users" ("sourced_id") on update cascade on delete no action;`);
    this.addSql(`alter table "enrollments" add constraint "enrollments_class_sourced_id_foreign" foreign key ("class_sourced_id") references "classes" ("sourced_id") on update cascade on delete no action;`);
    this.addSql(`alter table "enrollments" add constraint "enrollments_school_sourced_id_foreign" foreign key ("school_sourced_id") references "orgs" ("sourced_id") on update cascade on delete no action;`);

    this.addSql(`alter table "assessment_results" add constraint "assessment_results_assessment_line_item_sourced_id_foreign" foreign key ("assessment_line_item_sourced_id") references "assessment_line_items" ("sourced_id") on update cascade on delete no action;`);
    this.addSql(`alter table "assessment_results" add constraint "assessment_results_student_sourced_id_foreign" foreign key ("student_sourced_id") references "users" ("sourced_id") on update cascade on delete no action;`);
    this.addSql(`alter table "assessment_results" add constraint "assessment_results_score_scale_sourced_id_foreign" foreign key ("score_scale_sourced_id") references "score_scales" ("sourced_id") on update cascade on delete no action;`);

    this.addSql(`alter table "user_agents" add constraint "user_agents_user_sourced_id_foreign" foreign key ("user_sourced_id") references "users" ("sourced_id") on update cascade on delete cascade;`);
    this.addSql(`alter table "user_agents" add constraint "user_agents_agent_sourced_id_foreign" foreign key ("agent_sourced_id") references "users" ("sourced_id") on update cascade on delete cascade;`);

    this.addSql(`alter table "user_profiles" add constraint "user_profiles_user_sourced_id_foreign" foreign key ("user_sourced_id") references "users" ("sourced_id") on update cascade on delete no action;`);

    this.addSql(`alter table "user_resources" add constraint "user_resources_user_sourced_id_foreign" foreign key ("user_sourced_id") references "users" ("sourced_id") on update cascade on delete no action;`);
    this.addSql(`alter table "user_resources" add constraint "user_resources_org_sourced_id_foreign" foreign key ("org_sourced_id") references "orgs" ("sourced_id") on update cascade on delete no action;`);
    this.addSql(`alter table "user_resources" add constraint "user_resources_class_sourced_id_foreign" foreign key ("class_sourced_id") references "classes" ("sourced_id") on update cascade on delete no action;`);
    this.addSql(`alter table "user_resources" add constraint "user_resources_resource_sourced_id_foreign" foreign key ("resource_sourced_id") references "resources" ("sourced_id") on update cascade on delete no action;`);

    this.addSql(`alter table "user_roles" add constraint "user_roles_user_sourced_id_foreign" foreign key ("user_sourced_id") references "users" ("sourced_id") on update cascade on delete no action;`);
    this.addSql(`alter table "user_roles" add constraint "user_roles_org_sourced_id_foreign" foreign key ("org_sourced_id") references "orgs" ("sourced_id") on update cascade on delete no action;`);
  }

}
