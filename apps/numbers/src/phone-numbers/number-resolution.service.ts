import { Injectable } from '@nestjs/common';
import { AppError, ResolvedNumber } from '@nixflex/common';
import { composeSystemPrompt } from './business-profile';
import { PhoneNumbersRepository } from './phone-numbers.repository';
import { parsePhone } from './phone-numbers.service';

/**
 * The one place a number's effective settings are decided, for every
 * inbound and outbound action: agent prompt + BUSINESS PROFILE, the
 * number's voice / welcome greeting / webhook / post-call SMS template else
 * the agent's (an agent change reaches every process's NumberResolver cache
 * through `agents.changed.v1`), the number's calendar and Twilio credentials
 * (sealed; only the process calling Twilio opens them).
 */
@Injectable()
export class NumberResolutionService {
  constructor(private readonly repo: PhoneNumbersRepository) {}

  async resolve(phoneNumber: string): Promise<ResolvedNumber> {
    const phone = parsePhone(phoneNumber);
    const n = await this.repo.findActive(phone);
    const agent = n ? await this.repo.agentOf(n.agentId) : null;
    if (!n || !agent) throw new AppError('number_not_found', `${phone} is not imported`);
    return {
      phone_number: n.phoneNumber,
      account_id: n.accountId,
      api_key_id: n.apiKeyId,
      agent_id: agent.id,
      agent_name: agent.name,
      system_prompt: composeSystemPrompt(agent.systemPrompt, n.customPrompt),
      agent_system_prompt: agent.systemPrompt,
      custom_prompt: n.customPrompt,
      voice: n.voice ?? agent.voice,
      welcome_greeting: n.welcomeGreeting ?? agent.welcomeGreeting,
      webhook_url: n.webhookUrl ?? agent.webhookUrl,
      llm_model: agent.llmModel,
      post_call_sms_template: n.postCallSmsTemplate ?? agent.postCallSmsTemplate,
      sms_rate_per_second: n.smsRatePerSecond,
      calendar:
        n.calendarEventTypeId && n.calendarApiKeySealed
          ? {
              event_type_id: n.calendarEventTypeId,
              api_key_sealed: n.calendarApiKeySealed,
              time_zone: n.calendarTimeZone,
            }
          : null,
      twilio_account_sid: n.twilioAccountSid,
      twilio_auth_token_sealed: n.twilioAuthTokenSealed,
    };
  }
}
