import type { EntityDef, EntityName } from './dsl.js';
import { gradebookEntities } from './gradebook.js';
import { resourceEntities } from './resources.js';
import { rosteringEntities } from './rostering.js';

export const entityDefs: readonly EntityDef[] = [...rosteringEntities, ...gradebookEntities, ...resourceEntities];

export const entityDef = (name: EntityName): EntityDef => {
  const def = entityDefs.find((d) => d.name === name);
  if (!def) throw new Error(`unknown entity ${name}`);
  return def;
};
