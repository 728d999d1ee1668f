import { agentMessages } from './agent-reply.generator';
import { composeSystemPrompt, withBusinessProfile } from './prompt';

const PROFILE_INTRO =
  'You answer for the business below, reached on this phone number. Where these details conflict with the instructions above, these details win.';

describe('composeSystemPrompt', () => {
  describe('sms (the prompt SMS replies have always had)', () => {
    it('is the agent prompt exactly as written without a business profile', () => {
      expect(
        composeSystemPrompt({ agentPrompt: 'Be friendly.\n', businessProfile: null, channel: 'sms' }),
      ).toBe('Be friendly.\n');
      expect(composeSystemPrompt({ agentPrompt: 'Be friendly.', businessProfile: '', channel: 'sms' })).toBe(
        'Be friendly.',
      );
    });

    it('appends the BUSINESS PROFILE section, which says it wins on a conflict', () => {
      expect(
        composeSystemPrompt({
          agentPrompt: 'Be friendly.\n',
          businessProfile: 'Smile Dental, Croydon. Open 9-5.',
          channel: 'sms',
        }),
      ).toBe(`Be friendly.\n\nBUSINESS PROFILE\n${PROFILE_INTRO}\n\nSmile Dental, Croydon. Open 9-5.`);
    });

    it('is only the section when the agent has no prompt', () => {
      expect(composeSystemPrompt({ agentPrompt: '  ', businessProfile: 'Bright Bite', channel: 'sms' })).toBe(
        `BUSINESS PROFILE\n${PROFILE_INTRO}\n\nBright Bite`,
      );
    });
  });

  describe('order of the sections', () => {
    const prompt = composeSystemPrompt({
      agentPrompt: 'You are a receptionist.',
      businessProfile: 'Acme Dental, open 9-5.',
      channel: 'voice',
      callerHistory: [
        { from: 'caller', text: 'Can I book\nfor Monday?' },
        { from: 'agent', text: 'Yes, 10am is free.' },
      ],
    });

    it('is agent prompt, business profile, caller history, then channel notes', () => {
      const at = (s: string) => prompt.indexOf(s);
      expect(at('You are a receptionist.')).toBe(0);
      expect(at('BUSINESS PROFILE')).toBeGreaterThan(0);
      expect(at('CALLER HISTORY')).toBeGreaterThan(at('Acme Dental, open 9-5.'));
      expect(at('VOICE CALL')).toBeGreaterThan(at('Yes, 10am is free.'));
    });

    it('writes the caller history one line per message, oldest first', () => {
      expect(prompt).toContain('Caller: Can I book for Monday?\nYou: Yes, 10am is free.');
    });

    it('tells a voice agent to speak in short sentences without lists or URLs', () => {
      const notes = prompt.slice(prompt.indexOf('VOICE CALL'));
      expect(notes).toMatch(/short spoken sentences/);
      expect(notes).toMatch(/lists/);
      expect(notes).toMatch(/URLs/);
    });
  });

  it('gives a voice agent its notes even without a prompt or profile', () => {
    expect(composeSystemPrompt({ agentPrompt: '', businessProfile: null, channel: 'voice' })).toMatch(
      /^VOICE CALL\n/,
    );
  });

  it('leaves an empty caller history out', () => {
    expect(
      composeSystemPrompt({ agentPrompt: 'Hi.', businessProfile: null, channel: 'sms', callerHistory: [] }),
    ).toBe('Hi.');
  });
});

describe('withBusinessProfile', () => {
  it('is the SMS composition without history: what numbers resolves as system_prompt', () => {
    for (const [agentPrompt, profile] of [
      ['Be friendly.\n', 'Smile Dental.'],
      ['Be friendly.', null],
      ['', 'Bright Bite'],
    ] as const) {
      expect(withBusinessProfile(agentPrompt, profile)).toBe(
        composeSystemPrompt({ agentPrompt, businessProfile: profile, channel: 'sms' }),
      );
    }
  });
});

describe('agentMessages', () => {
  it('sends the composed system prompt, then the turns as user / assistant', () => {
    const messages = agentMessages({
      number: { agent_system_prompt: 'Be brief.', custom_prompt: 'Acme', llm_model: null },
      channel: 'sms',
      turns: [
        { from: 'caller', text: 'Open Monday?' },
        { from: 'agent', text: 'Yes.' },
        { from: 'caller', text: 'Tuesday?' },
      ],
    });
    expect(messages).toEqual([
      { role: 'system', content: `Be brief.\n\nBUSINESS PROFILE\n${PROFILE_INTRO}\n\nAcme` },
      { role: 'user', content: 'Open Monday?' },
      { role: 'assistant', content: 'Yes.' },
      { role: 'user', content: 'Tuesday?' },
    ]);
  });
});
