// Structured logs: one JSON object per line, always carrying the release / region / digest
// fields of what it is about, written through the invocation context in Functions.
export interface LogSink {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface LogFields {
  releaseId?: string | undefined;
  repository?: string | undefined;
  tag?: string | undefined;
  digest?: string | undefined;
  region?: string | undefined;
  [key: string]: unknown;
}

export class Logger {
  constructor(
    private readonly sink: LogSink,
    private readonly base: LogFields = {},
  ) {}

  with(fields: LogFields): Logger {
    return new Logger(this.sink, { ...this.base, ...fields });
  }

  private line(event: string, fields: LogFields): string {
    return JSON.stringify({ event, ...this.base, ...fields });
  }
  info(event: string, fields: LogFields = {}): void {
    this.sink.info(this.line(event, fields));
  }
  warn(event: string, fields: LogFields = {}): void {
    this.sink.warn(this.line(event, fields));
  }
  error(event: string, fields: LogFields = {}): void {
    this.sink.error(this.line(event, fields));
  }
}

/** Outside an invocation (the app-start hook): the worker forwards console output to the host. */
export const consoleSink: LogSink = {
  info: (m) => console.info(m),
  warn: (m) => console.warn(m),
  error: (m) => console.error(m),
};

export const silentSink: LogSink = { info: () => {}, warn: () => {}, error: () => {} };

/** Defined once in core (adapters use it too); the app's callers keep importing it from here. */
export { errorMessage } from '../../core/platform';
