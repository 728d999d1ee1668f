import { Injectable, Logger } from '@nestjs/common';
import { BrokerClient } from '../broker/broker-client';
import {
  CallHistoryEntry,
  CallerHistoryQuery,
  MessagingCommands,
  TextHistoryEntry,
  VoiceCommands,
} from '../contracts';

/**
 * How long a conversation waits for another service's history of the caller.
 * Short on purpose: a caller is never kept waiting for it; no answer in time
 * means the agent answers without that history.
 */
export const CALLER_HISTORY_TIMEOUT_MS = 400;

/**
 * Asks the owner of each kind of history over RabbitMQ: messaging for texts
 * (`sms.caller-history.v1`), voice for calls (`voice.caller-history.v1`).
 * Never throws: an owner that is down, slow or failing gives an empty list
 * (and one warning line), because history is a nicety and the caller is not.
 */
@Injectable()
export class CallerHistoryClient {
  private readonly logger = new Logger('CallerHistory');

  constructor(private readonly broker: BrokerClient) {}

  async texts(q: CallerHistoryQuery, timeoutMs = CALLER_HISTORY_TIMEOUT_MS): Promise<TextHistoryEntry[]> {
    try {
      return (
        await this.broker.request(MessagingCommands.callerHistory, q, { timeoutMs, expireWithTimeout: true })
      ).texts;
    } catch (err) {
      this.logger.warn(`texts of the caller unavailable, answering without: ${(err as Error).message}`);
      return [];
    }
  }

  async calls(q: CallerHistoryQuery, timeoutMs = CALLER_HISTORY_TIMEOUT_MS): Promise<CallHistoryEntry[]> {
    try {
      return (
        await this.broker.request(VoiceCommands.callerHistory, q, { timeoutMs, expireWithTimeout: true })
      ).calls;
    } catch (err) {
      this.logger.warn(`calls of the caller unavailable, answering without: ${(err as Error).message}`);
      return [];
    }
  }
}
