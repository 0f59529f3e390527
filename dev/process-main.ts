// How the dev programs run as processes: start, then stop cleanly on SIGINT/SIGTERM (exit 0),
// or report a failure to start (exit 1).
export function runUntilSignalled(name: string, start: () => Promise<{ stop(): Promise<void> }>): void {
  start().then(
    (running) => {
      const shutdown = (signal: string) => {
        console.log(`${name}: ${signal}, stopping`);
        running.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', () => shutdown('SIGINT'));
      process.once('SIGTERM', () => shutdown('SIGTERM'));
    },
    (err: unknown) => {
      console.error(`${name}: failed to start: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
