/** Generates a migration from the difference between the entities and the database (`npm run migration:create`). */
import { loadConfig } from './config.js';
import { openDatabase } from './orm.js';

const config = loadConfig();
const db = await openDatabase(config, { inMemory: !config.databaseUrl });
try {
  const result = await db.orm.getMigrator().createMigration('migrations', false, process.argv.includes('--initial'));
  console.log(result.fileName ? `created migrations/${result.fileName}; add it to migrations/index.ts` : 'no changes');
} finally {
  await db.close();
}
