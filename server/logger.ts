// Structured logs (pino). Every line carries the replica's instanceId; cookies and secrets are never logged.

import pino from "pino";

export type Logger = pino.Logger;

/** The process logger for one replica. */
export function createLogger(level: string, instanceId: string): Logger {
  return pino({ level, base: { instanceId }, redact: ["req.headers.cookie", "headers.cookie", "cookie"] });
}
