/**
 * @mbcap/test-utils: what the test suites of every package share, so each test folder
 * keeps only what is its own.
 *
 *   scratch(prefix)        a fresh directory under the system's temp dir, with the paths a
 *                          handoff uses in it: <dir>/mesh.db, <dir>/mbcap-snapshot/snapshot.json
 *   sleep, eventually      waiting, and polling until a condition holds
 *   runNode, startNode     a Node script run to completion, or started in the background
 *   startProcess           (any command) with its output collected, its exit awaited
 */
export { scratch } from './scratch.js';
export type { Scratch } from './scratch.js';
export { eventually, sleep } from './wait.js';
export { runNode, startNode, startProcess } from './process.js';
export type { Exit, Finished, NodeOptions, Started } from './process.js';
