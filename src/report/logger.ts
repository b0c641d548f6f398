// Logs go to stderr through winston (stdout carries only the report), as text or JSON lines.
import winston from 'winston';
import type { Logger } from '../common/logger.ts';
import { printable } from '../common/printable.ts';

export type LogFormat = 'text' | 'json';
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function createLogger(format: LogFormat, level: LogLevel): Logger {
  const text = winston.format.printf(({ level: l, message, ...meta }) => {
    const extra = Object.keys(meta).length ? ` ${JSON.stringify(meta)}` : '';
    return printable(`${l}: ${String(message)}${extra}`);
  });
  return winston.createLogger({
    level,
    format: format === 'json' ? winston.format.combine(winston.format.timestamp(), winston.format.json()) : text,
    transports: [new winston.transports.Console({ stderrLevels: [...LOG_LEVELS] })],
  });
}
