import type { GenerationSettings } from '../config/app-config.js';
import { GenerationEvents, type GenerationEvent, type GenerationWriter } from './generation-events.js';
import { GenerationLog } from './generation-log.js';

interface LocalGeneration {
  log: GenerationLog;
  onStop?: () => void;
}

/** {@link GenerationEvents} in this process's memory: one server process, no Redis. */
export class InMemoryGenerationEvents extends GenerationEvents {
  private readonly generations = new Map<string, LocalGeneration>();

  constructor(private readonly settings: GenerationSettings) {
    super();
  }

  open(answerId: string, onStop: () => void): GenerationWriter {
    const generation: LocalGeneration = { log: new GenerationLog(this.settings.maxEvents), onStop };
    this.generations.set(answerId, generation);
    return {
      append: (event, data) => generation.log.append(event, JSON.stringify(data)),
      end: () => {
        generation.onStop = undefined;
        generation.log.close();
        setTimeout(() => {
          if (this.generations.get(answerId) === generation) this.generations.delete(answerId);
        }, this.settings.retainMs).unref();
      },
    };
  }

  /** The log of an answer generated here, for {@link follow} and for writers that mirror it elsewhere. */
  local(answerId: string): GenerationLog | undefined {
    return this.generations.get(answerId)?.log;
  }

  follow(
    answerId: string,
    afterId: number,
    signal: AbortSignal,
  ): Promise<AsyncIterable<GenerationEvent> | null> {
    return Promise.resolve(this.local(answerId)?.follow(afterId, signal) ?? null);
  }

  /** Stops the answers generated here. */
  stopLocal(answerIds: string[]): void {
    for (const id of answerIds) this.generations.get(id)?.onStop?.();
  }

  interrupt(answerId: string, event: string, data: unknown): Promise<void> {
    const log = this.local(answerId);
    if (log && !log.ended) log.append(event, JSON.stringify(data));
    return Promise.resolve();
  }

  requestStop(answerIds: string[]): Promise<void> {
    this.stopLocal(answerIds);
    return Promise.resolve();
  }
}
