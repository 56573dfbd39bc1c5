import pino, { type Logger } from "pino";

export type { Logger };

/** Structured JSON logs. Secrets never reach a log line: the redact paths are a second line of defence. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "roster" },
      redact: {
        paths: ["req.headers.authorization", "req.headers.cookie", "*.password", "*.secret", "*.token", "*.clientSecret"],
        censor: "[redacted]",
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
