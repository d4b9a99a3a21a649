import { SCOPES, V1P1_SCOPES } from '../auth/scopes.js';
import type { InputObjectRef } from '@pothos/core';
import { builder, type Types } from '../graph/builder.js';
import { GUIDPairSetType } from '../graph/embedded-types.js';
import { nodeRef } from '../graph/node-refs.js';
import { readAuth } from '../graph/scopes.js';
import { byId, nonNull } from '../graph/relation-fields.js';
import {
  AssessmentLineItemInputType, AssessmentResultInputType, CategoryInputType, LineItemInputType, ResultInputType,
  ScoreScaleInputType, checkSourcedIds, type RecordInput,
} from './inputs.js';
import type { WritableType } from './records.js';
import {
  deleteRecord, postLineItems, postResultsForClassSession, postResultsForLineItem, putRecord, type Tombstone,
} from './write-service.js';

/**
 * Grade write-back mutations, one per OneRoster write operation (rest.md §3.2, §3.5). The REST
 * PUT/POST/DELETE routes execute these; the scopes are the ones the OAS names for those routes
 * (a v1.1 token's gradebook write scopes count too, as the v1.1 routes run the same mutations).
 */
builder.mutationType({});

const GRADEBOOK_PUT = [SCOPES['gradebook.createput'], V1P1_SCOPES['gradebook.createput']];
const GRADEBOOK_DELETE = [SCOPES['gradebook.delete'], V1P1_SCOPES['gradebook.delete']];
const GRADEBOOK_POST = [SCOPES['gradebook.createpost']];
const ASSESSMENT_PUT = [SCOPES['assessment.createput']];
const ASSESSMENT_DELETE = [SCOPES['assessment.delete']];

interface Writable {
  type: WritableType;
  /** Field name of the record in payloads: `lineItem`. */
  field: string;
  input: InputObjectRef<Types, RecordInput>;
  put: readonly string[];
  delete: readonly string[];
}

const WRITABLE: Writable[] = [
  { type: 'Category', field: 'category', input: CategoryInputType, put: GRADEBOOK_PUT, delete: GRADEBOOK_DELETE },
  { type: 'LineItem', field: 'lineItem', input: LineItemInputType, put: GRADEBOOK_PUT, delete: GRADEBOOK_DELETE },
  { type: 'Result', field: 'result', input: ResultInputType, put: GRADEBOOK_PUT, delete: GRADEBOOK_DELETE },
  { type: 'ScoreScale', field: 'scoreScale', input: ScoreScaleInputType, put: GRADEBOOK_PUT, delete: GRADEBOOK_DELETE },
  { type: 'AssessmentLineItem', field: 'assessmentLineItem', input: AssessmentLineItemInputType, put: ASSESSMENT_PUT, delete: ASSESSMENT_DELETE },
  { type: 'AssessmentResult', field: 'assessmentResult', input: AssessmentResultInputType, put: ASSESSMENT_PUT, delete: ASSESSMENT_DELETE },
];

const CASCADE_NOTE: Partial<Record<WritableType, string>> = {
  LineItem: ' Its results are marked tobedeleted too.',
  AssessmentLineItem: ' Its assessment results are marked tobedeleted too.',
};

interface PutOutcome { created: boolean; sourcedId: string }

const DeletePayload = builder.objectRef<Tombstone>('DeletePayload').implement({
  description: 'The tombstone a delete leaves: the record stays, with status tobedeleted and a new dateLastModified.',
  fields: (t) => ({
    sourcedId: t.exposeID('sourcedId'),
    dateLastModified: t.field({ type: 'DateTime', resolve: (d) => d.dateLastModified }),
    deleted: t.exposeBoolean('deleted', { description: 'False when the record already was a tombstone (nothing changed).' }),
  }),
});

for (const w of WRITABLE) {
  const payload = builder.objectRef<PutOutcome>(`Put${w.type}Payload`).implement({
    description: `The outcome of put${w.type}.`,
    fields: (t) => ({
      created: t.exposeBoolean('created', { description: 'True when no record had this sourcedId; false when it was replaced.' }),
      [w.field]: t.field({
        type: nodeRef(w.type),
        description: 'The record as stored (needs a read scope).',
        authScopes: readAuth(w.type),
        resolve: (o, _args, ctx, info) => nonNull(byId(ctx, w.type).load(o.sourcedId), info),
      }),
    }),
  });
  builder.mutationField(`put${w.type}`, (t) => t.field({
    type: payload,
    description: `Creates or replaces the ${w.field} with this sourcedId (OneRoster put${w.type}); dateLastModified becomes now.`,
    authScopes: { anyScope: w.put },
    args: { sourcedId: t.arg.id({ required: true }), input: t.arg({ type: w.input, required: true }) },
    resolve: async (_root, args, ctx) => {
      checkSourcedIds(args);
      const sourcedId = String(args.sourcedId);
      const { created } = await putRecord(ctx, w.type, sourcedId, args.input);
      return { created, sourcedId };
    },
  }));
  builder.mutationField(`delete${w.type}`, (t) => t.field({
    type: DeletePayload,
    description: `Marks the ${w.field} tobedeleted with a new dateLastModified (OneRoster delete${w.type}); NOT_FOUND for an unknown sourcedId.${CASCADE_NOTE[w.type] ?? ''}`,
    authScopes: { anyScope: w.delete },
    args: { sourcedId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => { checkSourcedIds(args); return deleteRecord(ctx, w.type, String(args.sourcedId)); },
  }));
}

builder.mutationField('postLineItemsForClass', (t) => t.field({
  type: GUIDPairSetType,
  description: 'Creates line items of a class under server-allocated sourcedIds; all or none.',
  authScopes: { anyScope: GRADEBOOK_POST },
  args: { classSourcedId: t.arg.id({ required: true }), lineItems: t.arg({ type: [LineItemInputType], required: true }) },
  resolve: async (_root, args, ctx) => { checkSourcedIds(args); return { sourcedIdPairs: await postLineItems(ctx, { class: String(args.classSourcedId) }, args.lineItems) }; },
}));

builder.mutationField('postLineItemsForSchool', (t) => t.field({
  type: GUIDPairSetType,
  description: 'Creates line items of a school under server-allocated sourcedIds; all or none.',
  authScopes: { anyScope: GRADEBOOK_POST },
  args: { schoolSourcedId: t.arg.id({ required: true }), lineItems: t.arg({ type: [LineItemInputType], required: true }) },
  resolve: async (_root, args, ctx) => { checkSourcedIds(args); return { sourcedIdPairs: await postLineItems(ctx, { school: String(args.schoolSourcedId) }, args.lineItems) }; },
}));

builder.mutationField('postResultsForLineItem', (t) => t.field({
  type: GUIDPairSetType,
  description: 'Creates results of a line item under server-allocated sourcedIds; all or none.',
  authScopes: { anyScope: GRADEBOOK_POST },
  args: { lineItemSourcedId: t.arg.id({ required: true }), results: t.arg({ type: [ResultInputType], required: true }) },
  resolve: async (_root, args, ctx) => { checkSourcedIds(args); return { sourcedIdPairs: await postResultsForLineItem(ctx, String(args.lineItemSourcedId), args.results) }; },
}));

builder.mutationField('postResultsForAcademicSessionForClass', (t) => t.field({
  type: GUIDPairSetType,
  description: 'Creates results of a class in an academic session under server-allocated sourcedIds; all or none.',
  authScopes: { anyScope: GRADEBOOK_POST },
  args: {
    classSourcedId: t.arg.id({ required: true }),
    academicSessionSourcedId: t.arg.id({ required: true }),
    results: t.arg({ type: [ResultInputType], required: true }),
  },
  resolve: async (_root, args, ctx) => {
    checkSourcedIds(args);
    return { sourcedIdPairs: await postResultsForClassSession(ctx, String(args.classSourcedId), String(args.academicSessionSourcedId), args.results) };
  },
}));
