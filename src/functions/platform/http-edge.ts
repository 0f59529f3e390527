// The one place where errors become HTTP: a thrown ConfigError is a 500 naming the settings to
// fix; anything else a 500 with the invocation id to find the logged details. Handlers stay thin.
import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { ConfigError } from '../../app/config';
import { Logger, errorMessage } from '../../app/platform';

export function loggerFor(context: InvocationContext): Logger {
  return new Logger(
    { info: (m) => context.info(m), warn: (m) => context.warn(m), error: (m) => context.error(m) },
    { invocationId: context.invocationId, function: context.functionName },
  );
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return {
    status,
    jsonBody: body,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  };
}

export function withErrorMapping(
  handler: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>,
): HttpHandler {
  return async (request, context) => {
    try {
      return await handler(request, context);
    } catch (err) {
      const log = loggerFor(context);
      if (err instanceof ConfigError) {
        log.error('config.invalid', { problems: err.problems });
        return json(500, { error: 'configuration', message: err.message });
      }
      log.error('request.failed', {
        error: errorMessage(err),
        stack: err instanceof Error ? err.stack : undefined,
      });
      return json(500, {
        error: 'internal',
        message: `internal error (invocation ${context.invocationId}); see the logs`,
      });
    }
  };
}
