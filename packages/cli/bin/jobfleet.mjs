#!/usr/bin/env node
// Loads the TypeScript sources through tsx resolved from this package, so `jobfleet` runs from any folder.
import { register } from 'tsx/esm/api';

register();
await import('../src/bin.ts');
