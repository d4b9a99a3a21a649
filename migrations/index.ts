import { Migration20261127054025 } from './Migration20261127054025.js';
import { Migration20261127120000 } from './Migration20261127120000.js';
import { Migration20261206170250 } from './Migration20261206170250.js';
import { Migration20261206195317 } from './Migration20261206195317.js';
import { Migration20261206195424 } from './Migration20261206195424.js';
import { Migration20261206200500 } from './Migration20261206200500.js';
import { Migration20261206225427 } from './Migration20261206225427.js';
import { Migration20261207020500 } from './Migration20261207020500.js';
import { Migration20261207030000 } from './Migration20261207030000.js';
import { Migration20261207050544 } from './Migration20261207050544.js';
import { Migration20261207052121 } from './Migration20261207052121.js';
import { Migration20261207060500 } from './Migration20261207060500.js';
import { Migration20261207075355 } from './Migration20261207075355.js';
import { Migration20261207100000 } from './Migration20261207100000.js';
import { Migration20261207105538 } from './Migration20261207105538.js';

// Listed statically: globbing the folder does not work under tsx or in a bundled CLI.
export const migrationsList = [
  { name: 'Migration20261127054025', class: Migration20261127054025 },
  { name: 'Migration20261127120000', class: Migration20261127120000 },
  { name: 'Migration20261206170250', class: Migration20261206170250 },
  { name: 'Migration20261206195317', class: Migration20261206195317 },
  { name: 'Migration20261206195424', class: Migration20261206195424 },
  { name: 'Migration20261206200500', class: Migration20261206200500 },
  { name: 'Migration20261206225427', class: Migration20261206225427 },
  { name: 'Migration20261207020500', class: Migration20261207020500 },
  { name: 'Migration20261207030000', class: Migration20261207030000 },
  { name: 'Migration20261207050544', class: Migration20261207050544 },
  { name: 'Migration20261207052121', class: Migration20261207052121 },
  { name: 'Migration20261207060500', class: Migration20261207060500 },
  { name: 'Migration20261207075355', class: Migration20261207075355 },
  { name: 'Migration20261207100000', class: Migration20261207100000 },
  { name: 'Migration20261207105538', class: Migration20261207105538 },
];
