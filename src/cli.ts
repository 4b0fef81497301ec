#!/usr/bin/env node
/**
 * The `naftiko-gateway` command's entry: sets the process up, then loads and
 * runs the command (command.ts).
 *
 * - On Node ≥ 22.1 `module.enableCompileCache()` keeps V8's compiled code of
 *   every module on disk (NODE_COMPILE_CACHE, else the OS temp directory;
 *   NODE_DISABLE_COMPILE_CACHE=1 turns it off), so later starts skip most
 *   parsing and compiling. Node 20 has no such API: nothing happens there.
 * - Once every module is loaded, V8 runs with the boot's settings until the
 *   gateway is ready (ops/boot-tuning.ts).
 */
import module from 'node:module';
import { enterBoot } from './ops/boot-tuning.js';

(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { runCommand } = await import('./command.js');
enterBoot();
await runCommand(process.argv.slice(2));
