import { builder } from './builder.js';

type Obj = Record<string, unknown>;
const text = (o: Obj, k: string) => (o[k] == null ? null : String(o[k]));
const objects = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter((x): x is Obj => typeof x === 'object' && x !== null) : []);

/** Value objects stored inside their owner (jsonb), model.md §1.5.2–1.5.4 and §2.4.1–2.4.4. */
export const UserIdType = builder.objectRef<Obj>('UserId').implement({
  description: 'An identifier of the user in another system (LDAP, LTI, SIS, ...).',
  fields: (t) => ({
    type: t.string({ resolve: (o) => String(o.type) }),
    identifier: t.string({ resolve: (o) => String(o.identifier) }),
  }),
});

export const CredentialType = builder.objectRef<Obj>('Credential').implement({
  description: 'A credential of a user profile.',
  fields: (t) => ({
    type: t.string({ resolve: (o) => String(o.type) }),
    username: t.string({ resolve: (o) => String(o.username) }),
    password: t.string({ nullable: true, resolve: (o) => text(o, 'password') }),
  }),
});

export const ScoreScaleValueType = builder.objectRef<Obj>('ScoreScaleValue').implement({
  description: 'One mapping of a score scale, e.g. 90 - 100 to A.',
  fields: (t) => ({
    itemValueLHS: t.string({ resolve: (o) => String(o.itemValueLHS) }),
    itemValueRHS: t.string({ resolve: (o) => String(o.itemValueRHS) }),
  }),
});

export const LearningObjectiveSetType = builder.objectRef<Obj>('LearningObjectiveSet').implement({
  description: 'Learning objectives from one source (CASE or another) that an item is aligned with.',
  fields: (t) => ({
    source: t.string({ resolve: (o) => String(o.source) }),
    learningObjectiveIds: t.stringList({ resolve: (o) => (Array.isArray(o.learningObjectiveIds) ? o.learningObjectiveIds.map(String) : []) }),
  }),
});

export const LearningObjectiveResultType = builder.objectRef<Obj>('LearningObjectiveResult').implement({
  description: 'A mastery score on one learning objective.',
  fields: (t) => ({
    learningObjectiveId: t.string({ resolve: (o) => String(o.learningObjectiveId) }),
    score: t.float({ nullable: true, resolve: (o) => (o.score == null ? null : Number(o.score)) }),
    textScore: t.string({ nullable: true, resolve: (o) => text(o, 'textScore') }),
  }),
});

export const LearningObjectiveScoreSetType = builder.objectRef<Obj>('LearningObjectiveScoreSet').implement({
  description: 'Mastery scores on learning objectives from one source.',
  fields: (t) => ({
    source: t.string({ resolve: (o) => String(o.source) }),
    learningObjectiveResults: t.field({ type: [LearningObjectiveResultType], resolve: (o) => objects(o.learningObjectiveResults) }),
  }),
});

/** The answer of a create operation that allocated new sourcedIds (model.md §2.4.5). */
export const GUIDPairType = builder.objectRef<{ suppliedSourcedId: string; allocatedSourcedId: string }>('GUIDPair').implement({
  description: 'A temporary sourcedId sent by a consumer and the sourcedId the provider allocated for it.',
  fields: (t) => ({
    suppliedSourcedId: t.exposeString('suppliedSourcedId'),
    allocatedSourcedId: t.exposeString('allocatedSourcedId'),
  }),
});

export const GUIDPairSetType = builder.objectRef<{ sourcedIdPairs: { suppliedSourcedId: string; allocatedSourcedId: string }[] }>('GUIDPairSet').implement({
  description: 'The sourcedId pairs of one create operation.',
  fields: (t) => ({ sourcedIdPairs: t.field({ type: [GUIDPairType], resolve: (o) => o.sourcedIdPairs }) }),
});

export const jsonTypes: Record<string, typeof UserIdType> = {
  UserId: UserIdType,
  Credential: CredentialType,
  ScoreScaleValue: ScoreScaleValueType,
  LearningObjectiveSet: LearningObjectiveSetType,
  LearningObjectiveScoreSet: LearningObjectiveScoreSetType,
};
