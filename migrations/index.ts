import { Migration20261127054025 } from './Migration20261127054025.js';

// Listed statically: globbing the folder does not work under tsx or in a bundled CLI.
export const migrationsList = [
  { name: 'Migration20261127054025', class: Migration20261127054025 },
];
