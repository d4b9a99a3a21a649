#!/usr/bin/env node
// Loads the TypeScript CLI in this same process through tsx's loader (no build step, and signals
// such as SIGTERM reach the server directly).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
await main();
