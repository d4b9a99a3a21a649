import { enumOf, ref, str, strings, type EntityDef } from './dsl.js';
import { Importance, ResourceRole } from './vocabularies.js';

export const Resource: EntityDef = {
  name: 'Resource', table: 'resources', base: true,
  description: 'Metadata of learning content assigned to courses, classes or users.',
  fields: {
    title: str(),
    roles: strings({ vocab: ResourceRole }),
    importance: enumOf(Importance),
    vendorResourceId: str({ required: true }),
    vendorId: str(),
    applicationId: str(),
  },
};

export const CourseResource: EntityDef = {
  name: 'CourseResource', table: 'course_resources', base: true,
  description: 'A resource assigned to a course.',
  fields: { title: str(), course: ref('Course', { required: true }), resource: ref('Resource', { required: true }) },
};

export const ClassResource: EntityDef = {
  name: 'ClassResource', table: 'class_resources', base: true,
  description: 'A resource assigned to a class.',
  fields: { title: str(), class: ref('Class', { required: true }), resource: ref('Resource', { required: true }) },
};

export const UserResource: EntityDef = {
  name: 'UserResource', table: 'user_resources', base: true,
  description: 'A resource assigned to a user, optionally within an org or class.',
  fields: {
    user: ref('User', { required: true }),
    org: ref('Org'),
    class: ref('Class'),
    resource: ref('Resource', { required: true }),
  },
};

export const resourceEntities = [Resource, CourseResource, ClassResource, UserResource];
