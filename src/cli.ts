#!/usr/bin/env node
/**
 * The `naftiko-gateway` command's entry: sets the process up, then loads and
 * runs the command (command.ts).
 *
 * - On Node ≥ 22.1 `module.enableCompileCache()` keeps V8's compiled code of
 *   every module on disk (NODE_COMPILE_CACHE, else the OS temp directory;
 *   NODE_DISABLE_COMPILE_CACHE=1 turns it off), so later starts skip most
 *   parsing and compiling. Node 20 has no such API: nothing happens there.
 * - Once every module is loaded, the young generation is held at its size
 *   until the gateway is ready (ops/young-generation.ts).
 */
import module from 'node:module';
import { holdYoungGeneration } from './ops/young-generation.js';

(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { runCommand } = await import('./command.js');
holdYoungGeneration();
await runCommand(process.argv.slice(2));
