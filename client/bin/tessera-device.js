#!/usr/bin/env node
// The CLI runs from its TypeScript sources: tsx compiles them as they are imported.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
