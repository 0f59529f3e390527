// What a caught value says, for log fields and reasons: an Error's message, a thrown string as
// it is, anything else as JSON (or its String when JSON cannot say it).

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}
