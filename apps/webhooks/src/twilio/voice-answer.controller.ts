import { Controller, Logger, Query } from '@nestjs/common';
import { AnswerCallCommand, BrokerClient, ResolvedNumber, VoiceCommands } from '@nixflex/common';
import { TwilioPaths } from '@nixflex/common/twilio';
import { FloodLimited } from './flood-guard';
import { TwilioForm, TwilioParams, TwilioWebhook, VerifiedNumber } from './twilio-webhook.guard';
import { apologyTwiml } from './voice-twiml';

/**
 * How long a voice webhook waits for voice's TwiML: well inside Twilio's 15 s,
 * so a slow or dead voice service still leaves time to answer the apology.
 */
export const ANSWER_TIMEOUT_MS = 5000;

/**
 * Twilio's voice webhooks: an inbound call to an imported number (its
 * VoiceUrl; our number is `To`) and an outbound call the callee answered
 * (the `Url` of each call we place, with `?call_id=`; our number is `From`).
 * Voice stores the call and answers the TwiML that connects it to the agent
 * (`calls.answer.v1`). When voice does not answer in time or fails, the caller
 * hears a short apology and the call ends: never silence, never Twilio's
 * "application error".
 */
@Controller()
export class TwilioVoiceAnswerController {
  private readonly logger = new Logger('TwilioVoice');

  constructor(private readonly broker: BrokerClient) {}

  @TwilioWebhook({ path: TwilioPaths.voice, numberParam: 'To' })
  @FloodLimited('calls')
  inbound(@TwilioForm() params: TwilioParams, @VerifiedNumber() number: ResolvedNumber): Promise<string> {
    return this.answer(params, number, 'inbound');
  }

  @TwilioWebhook({ path: TwilioPaths.voiceOutbound, numberParam: 'From' })
  outbound(
    @TwilioForm() params: TwilioParams,
    @VerifiedNumber() number: ResolvedNumber,
    @Query('call_id') callId?: string,
  ): Promise<string> {
    return this.answer(params, number, 'outbound', typeof callId === 'string' ? callId : undefined);
  }

  private async answer(
    params: TwilioParams,
    number: ResolvedNumber,
    direction: 'inbound' | 'outbound',
    callId?: string,
  ): Promise<string> {
    const cmd: AnswerCallCommand = {
      call_sid: params.CallSid ?? '',
      account_sid: params.AccountSid ?? number.twilio_account_sid,
      from: params.From ?? '',
      to: params.To ?? '',
      our_number: number.phone_number,
      direction,
      ...(callId ? { call_id: callId } : {}),
      ...(params.CallerName ? { caller_name: params.CallerName.slice(0, 200) } : {}),
    };
    try {
      const reply = await this.broker.request(VoiceCommands.callsAnswer, cmd, {
        timeoutMs: ANSWER_TIMEOUT_MS,
        // The caller already heard the apology: a late answer would store a call nobody is on.
        expireWithTimeout: true,
      });
      return reply.twiml;
    } catch (err) {
      this.logger.warn(
        `${direction} call ${cmd.call_sid || '?'} to ${number.phone_number} answered with the apology: ${(err as Error).message}`,
      );
      return apologyTwiml();
    }
  }
}
