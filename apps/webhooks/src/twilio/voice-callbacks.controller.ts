import { Controller, Query } from '@nestjs/common';
import { AppError, BrokerClient, ResolvedNumber, VoiceEvents } from '@nixflex/common';
import { TwilioPaths } from '@nixflex/common/twilio';
import { EMPTY_TWIML, TwilioForm, TwilioParams, TwilioWebhook, VerifiedNumber } from './twilio-webhook.guard';
import { VOICE_CONNECTION_LOST_APOLOGY, apologyTwiml, hangupTwiml } from './voice-twiml';

/**
 * Twilio's callbacks about calls, for calls of either direction (our number is
 * `To` of an inbound call, `From` of one we placed): the `<Connect action>`
 * (the ConversationRelay session ended) and the call status callbacks. One
 * confirmed publish each; voice applies them (it owns the call's status).
 * Nothing is stored here, so the answer is fast.
 */
@Controller()
export class TwilioVoiceCallbacksController {
  constructor(private readonly broker: BrokerClient) {}

  /**
   * The relay session ended (we sent `end`, the caller hung up, or it
   * failed): the call ends too. A failed session (the WebSocket broke: the
   * voice process died mid-call, the network dropped) leaves a caller on the
   * line, who hears an apology from here, so even then the line does not just
   * go silent; Twilio does not run this TwiML for a caller who hung up.
   */
  @TwilioWebhook({ path: TwilioPaths.voiceRelayEnded, numberParam: 'Direction' })
  async relayEnded(
    @TwilioForm() params: TwilioParams,
    @VerifiedNumber() number: ResolvedNumber,
  ): Promise<string> {
    const sid = requireCallSid(params);
    const status = (params.SessionStatus ?? '').slice(0, 32);
    await this.broker.publishEvent(
      VoiceEvents.callRelayEnded,
      {
        call_sid: sid,
        account_sid: params.AccountSid ?? number.twilio_account_sid,
        session_status: status,
        session_duration: wholeNumber(params.SessionDuration),
        handoff_data: params.HandoffData ? params.HandoffData.slice(0, 20000) : null,
        received_at: new Date().toISOString(),
      },
      { messageId: `twilio-relay-ended:${sid}` },
    );
    return status === 'failed' ? apologyTwiml(VOICE_CONNECTION_LOST_APOLOGY) : hangupTwiml();
  }

  @TwilioWebhook({ path: TwilioPaths.voiceStatus, numberParam: 'Direction' })
  async status(
    @TwilioForm() params: TwilioParams,
    @VerifiedNumber() number: ResolvedNumber,
    @Query('call_id') callId?: string,
  ): Promise<string> {
    const sid = requireCallSid(params);
    const status = params.CallStatus;
    if (!status) throw new AppError('validation_failed', 'CallStatus is required');
    const sequence = (params.SequenceNumber ?? '').slice(0, 16);
    await this.broker.publishEvent(
      VoiceEvents.callStatusReceived,
      {
        call_sid: sid,
        account_sid: params.AccountSid ?? number.twilio_account_sid,
        call_status: status.slice(0, 32),
        call_duration: wholeNumber(params.CallDuration),
        error_code: params.ErrorCode ? params.ErrorCode.slice(0, 16) : null,
        call_id: typeof callId === 'string' && callId ? callId.slice(0, 64) : null,
        from: (params.From ?? '').slice(0, 32),
        to: (params.To ?? '').slice(0, 32),
        direction: params.Direction === 'inbound' ? 'inbound' : 'outbound',
        received_at: new Date().toISOString(),
      },
      // A repeat of one callback has the same SID, status and sequence: the consumer's inbox drops it.
      { messageId: `twilio-call-status:${sid}:${status.slice(0, 32)}:${sequence}` },
    );
    return EMPTY_TWIML;
  }
}

function requireCallSid(params: TwilioParams): string {
  const sid = params.CallSid;
  if (!sid) throw new AppError('validation_failed', 'CallSid is required');
  return sid.slice(0, 64);
}

/** A form field holding whole seconds; null when absent or not a number. */
function wholeNumber(raw: string | undefined): number | null {
  if (raw === undefined || !/^\d{1,9}$/.test(raw)) return null;
  return Number(raw);
}
