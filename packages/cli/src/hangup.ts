import type { Logger } from './log.js';

/**
 * SIGHUP (a closed terminal, `kill -HUP`, a log rotator) would end a Node process. The
 * long-running commands read their options once, at start, so there is nothing to
 * reload: the signal is logged and the process goes on.
 */
export function surviveHangup(log: Logger, restart: string): void {
  process.on('SIGHUP', () => {
    log.info('sighup', `SIGHUP: nothing to reload (options are read once, at start); still running. To change an option, restart: ${restart}`);
  });
}
