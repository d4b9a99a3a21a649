// Entry of the embedded database's worker thread. Worker threads do not inherit the tsx loader the main
// thread registered (bin/oneroster-graph.js), so it is registered here before the TypeScript loads.
import { register } from 'tsx/esm/api';

register();
await import('./embedded-worker.ts');
