import { Injectable, Logger } from '@nestjs/common';
import { AnswerCallCommand, AnswerCallReply, AppError, ResolvedNumber, newId } from '@nixflex/common';
import { NumberResolver } from '@nixflex/common/numbers';
import { Call } from '../data/call.entities';
import { CallsRepository } from '../data/calls.repository';
import { callStatusRank } from '../status/call-status-rules';
import { greetingFor, voiceFor } from './call-settings';
import { relayTwiml } from './relay-twiml';

/**
 * `calls.answer.v1`: a verified voice webhook needs its TwiML. An inbound call
 * is stored once per CallSid (Twilio's retries get the same call and the same
 * TwiML); an outbound call is the one we placed, now answered. Either way the
 * answer connects the call to the relay WebSocket with the number's voice and
 * greeting.
 */
@Injectable()
export class AnswerService {
  private readonly logger = new Logger('AnswerCall');

  constructor(
    private readonly calls: CallsRepository,
    private readonly numbers: NumberResolver,
  ) {}

  async answer(cmd: AnswerCallCommand): Promise<AnswerCallReply> {
    const number = await this.numbers.resolve(cmd.our_number);
    if (number.twilio_account_sid !== cmd.account_sid) {
      throw new AppError('invalid_signature', 'AccountSid is not the Twilio account of the number');
    }
    if (!/^CA[0-9a-fA-F]{32}$/.test(cmd.call_sid)) {
      throw new AppError('validation_failed', 'CallSid is not a Twilio call SID');
    }
    const call =
      cmd.direction === 'inbound' ? await this.inbound(cmd, number) : await this.outbound(cmd, number);
    return {
      call_id: call.id,
      twiml: relayTwiml({ callId: call.id, greeting: greetingFor(call, number), voice: voiceFor(number) }),
    };
  }

  private async inbound(cmd: AnswerCallCommand, number: ResolvedNumber): Promise<Call> {
    const { call, created } = await this.calls.insertInbound({
      id: newId('call'),
      accountId: number.account_id,
      agentId: number.agent_id,
      ourNumber: number.phone_number,
      otherParty: cmd.from,
      twilioSid: cmd.call_sid,
      twilioAccountSid: cmd.account_sid,
      voice: voiceFor(number),
      status: 'ringing',
      statusRank: callStatusRank('ringing'),
      at: new Date(),
    });
    if (call.accountId !== number.account_id || call.ourNumber !== number.phone_number) {
      throw new AppError('call_not_found', `CallSid ${cmd.call_sid} belongs to another call`);
    }
    if (!created) this.logger.log(`${call.id}: Twilio asked again for ${cmd.call_sid}; same answer`);
    return call;
  }

  /**
   * The outbound call `call_id`, which must be ours, placed from this number.
   * The dialler may not have stored Twilio's SID yet (the callee answered
   * before its commit): it is set here under the row lock, never overwriting
   * a different one.
   */
  private async outbound(cmd: AnswerCallCommand, number: ResolvedNumber): Promise<Call> {
    const callId = cmd.call_id;
    if (!callId) throw new AppError('call_not_found', 'An outbound call webhook needs call_id');
    return this.calls.transaction(async (m) => {
      const call = await this.calls.lock(m, callId);
      if (
        !call ||
        call.direction !== 'outbound' ||
        call.accountId !== number.account_id ||
        call.ourNumber !== number.phone_number
      ) {
        throw new AppError('call_not_found', `No outbound call ${callId} from ${number.phone_number}`);
      }
      if (call.twilioSid !== null && call.twilioSid !== cmd.call_sid) {
        throw new AppError(
          'call_not_found',
          `Call ${callId} is Twilio call ${call.twilioSid}, not ${cmd.call_sid}`,
        );
      }
      const voice = voiceFor(number);
      if (call.twilioSid === null || call.voice !== voice) {
        await this.calls.update(m, call.id, {
          twilioSid: cmd.call_sid,
          twilioAccountSid: cmd.account_sid,
          voice,
        });
        Object.assign(call, { twilioSid: cmd.call_sid, twilioAccountSid: cmd.account_sid, voice });
      }
      return call;
    });
  }
}
