import type { HttpException } from '@nestjs/common';

type ErrorClass = abstract new (...args: never[]) => Error;
export type ErrorMapping = [ErrorClass, (error: Error) => HttpException][];

/** Awaits an operation, turning the listed domain errors into the HTTP errors of the calling route. */
export async function mapErrors<T>(operation: Promise<T>, mapping: ErrorMapping): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    const match = mapping.find(([type]) => error instanceof type);
    if (match) throw match[1](error as Error);
    throw error;
  }
}
