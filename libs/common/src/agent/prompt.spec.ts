import { agentMessages } from './agent-reply.generator';
import { CALLER_HISTORY_LIMITS, actionsSection, composeSystemPrompt, withBusinessProfile } from './prompt';

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
      callerHistory: {
        texts: [
          { at: '2026-11-30T09:00:00.000Z', direction: 'inbound', body: 'Can I book\nfor Monday?' },
          { at: '2026-11-30T09:00:05.000Z', direction: 'outbound', body: 'Yes, 10am is free.' },
        ],
        calls: [
          {
            call_id: 'call_0000000000000001',
            at: '2026-11-29T16:30:00.000Z',
            direction: 'inbound',
            status: 'completed',
            duration_s: 125,
            transcript: 'Caller: Are you open Saturday? / You: Yes, nine to one.',
          },
        ],
      },
    });

    it('is agent prompt, business profile, caller history, then channel notes', () => {
      const at = (s: string) => prompt.indexOf(s);
      expect(at('You are a receptionist.')).toBe(0);
      expect(at('BUSINESS PROFILE')).toBeGreaterThan(0);
      expect(at('CALLER HISTORY')).toBeGreaterThan(at('Acme Dental, open 9-5.'));
      expect(at('VOICE CALL')).toBeGreaterThan(at('Yes, 10am is free.'));
    });

    it('writes the caller history one dated line per call or text, oldest first', () => {
      expect(prompt).toContain(
        [
          '- 2026-11-29 16:30 UTC, call from the caller (2 min 5 s): Caller: Are you open Saturday? / You: Yes, nine to one.',
          '- 2026-11-30 09:00 UTC, text from the caller: Can I book for Monday?',
          '- 2026-11-30 09:00 UTC, text from you: Yes, 10am is free.',
        ].join('\n'),
      );
    });

    it('keeps only the newest entries that fit its bounds', () => {
      const texts = Array.from({ length: 40 }, (_, i) => ({
        at: new Date(Date.UTC(2026, 10, 1, 0, i)).toISOString(),
        direction: 'inbound' as const,
        body: `message ${i} ${'x'.repeat(300)}`,
      }));
      const section = composeSystemPrompt({
        agentPrompt: '',
        businessProfile: null,
        channel: 'sms',
        callerHistory: { texts },
      });
      expect(section.length).toBeLessThan(CALLER_HISTORY_LIMITS.chars + 300);
      expect(section).toContain('message 39 ');
      expect(section).not.toContain('message 0 ');
      expect(section.indexOf('message 38 ')).toBeLessThan(section.indexOf('message 39 '));
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

  it("gives an SMS reply the caller's calls, and nothing when voice gave none", () => {
    const calls = [
      {
        call_id: 'call_0000000000000002',
        at: '2026-11-30T18:00:00.000Z',
        direction: 'outbound' as const,
        status: 'no-answer' as const,
        duration_s: null,
        transcript: '',
      },
    ];
    const sms = (history: { calls: typeof calls }) =>
      composeSystemPrompt({
        agentPrompt: 'Hi.',
        businessProfile: null,
        channel: 'sms',
        callerHistory: history,
      });
    expect(sms({ calls })).toBe(
      'Hi.\n\nCALLER HISTORY\n' +
        'You have been in touch with this caller before, on this number (oldest first). ' +
        'Treat them as someone you know; use this only where it helps.\n' +
        '- 2026-11-30 18:00 UTC, call you made to them (no answer)',
    );
    expect(sms({ calls: [] })).toBe('Hi.');
  });

  it('leaves an empty caller history out', () => {
    expect(
      composeSystemPrompt({ agentPrompt: 'Hi.', businessProfile: null, channel: 'sms', callerHistory: {} }),
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

describe('ACTIONS', () => {
  const base = { agentPrompt: 'Be brief.', businessProfile: null, channel: 'voice' as const };

  it('is absent when nothing is offered, so a prompt without actions is unchanged', () => {
    expect(composeSystemPrompt({ ...base, actions: {} })).toBe(composeSystemPrompt(base));
    expect(actionsSection({})).toBeNull();
  });

  it('tells the agent how to text the caller and how to use the calendar, with the time in its zone', () => {
    const prompt = composeSystemPrompt({
      ...base,
      actions: { sms: true, calendar: { timeZone: 'Europe/London', now: new Date('2026-12-01T19:55:00Z') } },
    });
    expect(
      prompt.endsWith(
        actionsSection({
          sms: true,
          calendar: { timeZone: 'Europe/London', now: new Date('2026-12-01T19:55:00Z') },
        })!,
      ),
    ).toBe(true);
    expect(prompt).toContain('[SEND_SMS: the text]');
    expect(prompt).toContain('send_sms');
    expect(prompt).toContain(
      'Its time zone is Europe/London; it is now Tuesday 1 December 2026, 19:55 there.',
    );
    expect(prompt).toContain('check_availability');
    expect(prompt).toContain('book_appointment');
  });

  it("says the time in the number's zone, and falls back to UTC for a zone it does not know", () => {
    const now = new Date('2026-12-01T19:55:00Z');
    expect(actionsSection({ calendar: { timeZone: 'America/New_York', now } })).toContain(
      'it is now Tuesday 1 December 2026, 14:55 there',
    );
    expect(actionsSection({ calendar: { timeZone: 'Mars/Olympus', now } })).toContain('19:55 UTC there');
  });

  it('sends an engine note as a system message in its place', () => {
    const messages = agentMessages({
      number: { agent_system_prompt: 'Be brief.', custom_prompt: null, llm_model: null },
      channel: 'voice',
      turns: [
        { from: 'caller', text: 'Text me the address' },
        { from: 'agent', text: 'Sent.' },
        { from: 'note', text: 'The SMS was sent.' },
        { from: 'caller', text: 'Thanks' },
      ],
    });
    expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'system', 'user']);
    expect(messages[3]).toEqual({ role: 'system', content: 'Note from the system: The SMS was sent.' });
  });
});
