// Entry of the CSV import worker thread when run from the TypeScript sources (src/shared/worker-entry.ts).
// Worker threads do not inherit the tsx loader the main thread registered, so it is registered here
// before the TypeScript loads.
import { register } from 'tsx/esm/api';

register();
await import('./import-worker.ts');
