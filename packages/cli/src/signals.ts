// How both programs stop: the first SIGINT or SIGTERM asks for a clean stop (finish what is
// in flight, close the database, exit 0); a second one, while that runs, means "now": a
// warn line says what is given up, and the process exits 130 at once.
import type { Logger } from './log.js';

export type StopSignal = 'SIGINT' | 'SIGTERM';

const SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM'];

/**
 * Calls `stop` on the first SIGINT or SIGTERM; on a second, logs `<signal> again: exiting
 * now; <givenUp>` and exits 130. Returns a function that removes the handlers.
 */
export function onStopSignals(log: Logger, givenUp: string, stop: (signal: StopSignal) => unknown): () => void {
  let stopping = false;
  const handlers = SIGNALS.map((signal) => {
    const handler = () => {
      if (stopping) {
        log.warn('stop', `${signal} again: exiting now; ${givenUp}`);
        process.exit(130);
      }
      stopping = true;
      void stop(signal);
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}
