import { Global, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  AmqpBroker,
  AmqpServer,
  AppError,
  BrokerClient,
  NumbersCommands,
  ResolvedNumber,
  RpcErrorFilter,
  Topology,
  createValidationPipe,
} from '@nixflex/common';
import {
  NumberResolver,
  NumberResolverModule,
  openCalendarApiKey,
  openTwilioToken,
} from '@nixflex/common/numbers';
import { createAccount, TestAccount } from '../factories/accounts';
import { EventTap, tapEvents } from '../factories/broker';
import { createAgent, importedNumber, rawPath, ukNumber } from '../factories/numbers';
import { rabbitmqUrl } from '../harness/infra';
import { Stack, waitFor } from '../harness/stack';

/**
 * numbers.resolve.v1 (the effective settings every other service acts on),
 * numbers.changed.v1 from the outbox, and the NumberResolver cache with its
 * event-driven invalidation, all against the real numbers service.
 */
describe('numbers: resolution and the resolver cache', () => {
  let stack: Stack;
  let acme: TestAccount;
  let broker: AmqpBroker;
  let client: BrokerClient;
  let app: INestMicroservice;
  let resolver: NumberResolver;
  let tap: EventTap;

  /** Waits until a number's import event went by, so it cannot invalidate what a test caches next. */
  const importSettled = async (...phones: string[]) => {
    await waitFor('import events', async () =>
      phones.every((p) => tap.events.some((e) => e.body.phone_number === p && e.body.change === 'imported'))
        ? true
        : undefined,
    );
    await new Promise((r) => setTimeout(r, 200));
  };
  const resolve = (phone: string) => client.request(NumbersCommands.numbersResolve, { phone_number: phone });

  beforeAll(async () => {
    stack = await Stack.start({ env: { LLM_ALLOWED_MODELS: 'stub-model,stub-large' } });
    acme = await createAccount(stack, 'Acme Dental');
    broker = new AmqpBroker(rabbitmqUrl(), new Topology(stack.prefix));
    await broker.start();
    client = new BrokerClient(broker, 5000);

    // A process that imports NumberResolverModule, as the SMS / inbound
    // services do. It consumes as "gateway", whose event queue the real
    // gateway (HTTP only) never uses.
    @Global()
    @Module({ providers: [{ provide: BrokerClient, useValue: client }], exports: [BrokerClient] })
    class BrokerModule {}
    @Module({ imports: [BrokerModule, NumberResolverModule] })
    class ConsumerModule {}
    app = await NestFactory.createMicroservice(ConsumerModule, {
      strategy: new AmqpServer(broker, {
        service: 'gateway',
        prefetch: 8,
        eventPrefetch: 8,
        maxAttempts: 3,
        retryDelayMs: 50,
      }),
      logger: false,
    });
    app.useGlobalPipes(createValidationPipe());
    app.useGlobalFilters(new RpcErrorFilter());
    await app.listen();
    resolver = app.get(NumberResolver);

    tap = await tapEvents(stack, ['numbers.changed.v1', 'agents.changed.v1']);
  });

  afterAll(async () => {
    await app?.close();
    await tap?.close();
    await broker?.close();
    await stack?.stop();
  });

  describe('numbers.resolve.v1', () => {
    let agent: any;
    beforeAll(async () => {
      agent = await createAgent(acme, {
        name: 'Ringback Dental',
        system_prompt: 'You are a friendly dental receptionist. Book appointments.',
        voice: 'alloy',
        webhook_url: 'https://agent.example.com/calls',
        llm_model: 'stub-large',
        post_call_sms_template: 'Thanks for calling {{business_name}}!',
      });
    });

    it('a number with its own profile, voice, webhook and calendar: the number wins', async () => {
      const { phone, twilio, res } = await importedNumber(stack, acme, {
        agent,
        extra: {
          custom_prompt: 'Smile Dental Croydon. 12 High St. Open Mon-Fri 9-5. Closed on Saturdays.',
          voice: 'verse',
          webhook_url: 'https://smile.example.com/calls',
          calendar: { api_key: 'cal_live_smile', event_type_id: '4242' },
        },
      });
      const r: ResolvedNumber = await resolve(phone);
      expect(r).toMatchObject({
        phone_number: phone,
        account_id: acme.account_id,
        api_key_id: acme.key_id,
        agent_id: agent.id,
        agent_name: 'Ringback Dental',
        agent_system_prompt: agent.system_prompt,
        custom_prompt: 'Smile Dental Croydon. 12 High St. Open Mon-Fri 9-5. Closed on Saturdays.',
        voice: 'verse',
        webhook_url: 'https://smile.example.com/calls',
        llm_model: 'stub-large',
        post_call_sms_template: 'Thanks for calling {{business_name}}!',
        calendar: {
          event_type_id: '4242',
          api_key_sealed: expect.stringMatching(/^v1:/),
          time_zone: 'Europe/London',
        },
        twilio_account_sid: twilio.account_sid,
        twilio_auth_token_sealed: expect.stringMatching(/^v1:/),
      });
      expect(res.body.id).toMatch(/^pn_/);
      // Agent template first, then the BUSINESS PROFILE section that wins on conflict.
      const [template, profile] = r.system_prompt.split('\n\nBUSINESS PROFILE\n');
      expect(template).toBe(agent.system_prompt);
      expect(profile).toMatch(/conflict.*these details win/);
      expect(profile.endsWith('Closed on Saturdays.')).toBe(true);
      // Sealed secrets open only with the shared key and this phone number.
      expect(openTwilioToken(r)).toBe(twilio.auth_token);
      expect(openCalendarApiKey(r)).toBe('cal_live_smile');
      expect(() => openTwilioToken({ ...r, phone_number: ukNumber() })).toThrow();
      expect(JSON.stringify(r)).not.toContain(twilio.auth_token);
    });

    it("a number with no settings: the agent's prompt alone, the agent's voice and webhook", async () => {
      const { phone } = await importedNumber(stack, acme, { agent });
      const r = await resolve(phone);
      expect(r.system_prompt).toBe(agent.system_prompt);
      expect(r.system_prompt).not.toContain('BUSINESS PROFILE');
      expect(r).toMatchObject({
        custom_prompt: null,
        voice: 'alloy',
        webhook_url: 'https://agent.example.com/calls',
        calendar: null,
      });
    });

    it("welcome_greeting: the number's, else its agent's, else null", async () => {
      const greeter = await createAgent(acme, { welcome_greeting: 'Hello from {{business_name}}.' });
      const own = await importedNumber(stack, acme, {
        agent: greeter,
        extra: { welcome_greeting: 'Smile Dental, how can we help?' },
      });
      const inherits = await importedNumber(stack, acme, { agent: greeter });
      const neither = await importedNumber(stack, acme, { agent });
      expect((await resolve(own.phone)).welcome_greeting).toBe('Smile Dental, how can we help?');
      expect((await resolve(inherits.phone)).welcome_greeting).toBe('Hello from {{business_name}}.');
      expect((await resolve(neither.phone)).welcome_greeting).toBeNull();
      // Clearing the number's own greeting falls back to the agent's.
      await acme.api.patch(rawPath(own.phone), { welcome_greeting: null });
      expect((await resolve(own.phone)).welcome_greeting).toBe('Hello from {{business_name}}.');
    });

    it('number_not_found when not imported (or deleted); invalid_phone_format for garbage', async () => {
      const err = await resolve(ukNumber()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('number_not_found');
      const { phone } = await importedNumber(stack, acme, { agent });
      await acme.api.delete(rawPath(phone));
      expect(((await resolve(phone).catch((e: unknown) => e)) as AppError).code).toBe('number_not_found');
      expect(((await resolve('hello').catch((e: unknown) => e)) as AppError).code).toBe(
        'invalid_phone_format',
      );
    });
  });

  it('publishes numbers.changed.v1 for import, update and delete', async () => {
    const { phone, agent } = await importedNumber(stack, acme);
    await acme.api.patch(rawPath(phone), { voice: 'echo' });
    await acme.api.delete(rawPath(phone));
    const changes = await waitFor('three numbers.changed.v1 events', async () => {
      const mine = tap.events.filter((e) => e.key === 'numbers.changed.v1' && e.body.phone_number === phone);
      return mine.length >= 3 ? mine : undefined;
    });
    expect(changes.map((e) => e.body)).toEqual(
      ['imported', 'updated', 'deleted'].map((change) => ({
        phone_number: phone,
        account_id: acme.account_id,
        agent_id: agent.id,
        change,
      })),
    );
  });

  describe('NumberResolver', () => {
    it('caches: a change made behind its back (no event) is not seen', async () => {
      const { phone } = await importedNumber(stack, acme, { extra: { voice: 'one' } });
      await importSettled(phone);
      expect((await resolver.resolve(phone)).voice).toBe('one');
      await stack.sql(`UPDATE numbers.phone_numbers SET voice = 'two' WHERE phone_number = $1`, [phone]);
      expect((await resolve(phone)).voice).toBe('two');
      expect((await resolver.resolve(phone)).voice).toBe('one');
      resolver.invalidate(phone);
      expect((await resolver.resolve(phone)).voice).toBe('two');
    });

    it('coalesces concurrent misses into one answer', async () => {
      const { phone } = await importedNumber(stack, acme);
      const all = await Promise.all(Array.from({ length: 20 }, () => resolver.resolve(phone)));
      expect(new Set(all).size).toBe(1);
    });

    it('numbers.changed.v1 invalidates the number: a PATCH is seen at once', async () => {
      const { phone } = await importedNumber(stack, acme, { extra: { custom_prompt: 'Old Name Dental' } });
      await importSettled(phone);
      expect((await resolver.resolve(phone)).custom_prompt).toBe('Old Name Dental');
      await acme.api.patch(rawPath(phone), { custom_prompt: 'New Name Dental' });
      await waitFor('resolver to see the PATCH', async () =>
        (await resolver.resolve(phone)).custom_prompt === 'New Name Dental' ? true : undefined,
      );
      expect((await resolver.resolve(phone)).system_prompt).toContain('New Name Dental');
    });

    it('agents.changed.v1 invalidates every number of the agent: a new agent prompt is seen', async () => {
      const agent = await createAgent(acme, { system_prompt: 'Version one.' });
      const a = await importedNumber(stack, acme, { agent });
      const b = await importedNumber(stack, acme, { agent, extra: { custom_prompt: 'Bright Bite Leeds' } });
      // Let the import events pass first, so only the agent event can refresh the cache below.
      await importSettled(a.phone, b.phone);
      expect((await resolver.resolve(a.phone)).system_prompt).toBe('Version one.');
      expect((await resolver.resolve(b.phone)).system_prompt).toMatch(/^Version one\.\n\nBUSINESS PROFILE/);
      await acme.api.patch(`/v1/agents/${agent.id}`, { system_prompt: 'Version two.', voice: 'coral' });
      await waitFor('resolver to see the agent change on both numbers', async () => {
        const [ra, rb] = await Promise.all([resolver.resolve(a.phone), resolver.resolve(b.phone)]);
        return ra.system_prompt === 'Version two.' &&
          /^Version two\.\n\nBUSINESS PROFILE/.test(rb.system_prompt)
          ? true
          : undefined;
      });
      expect((await resolver.resolve(b.phone)).voice).toBe('coral');
    });

    it('agents.changed.v1 carries a new agent greeting to its numbers, except one with its own', async () => {
      const agent = await createAgent(acme, { welcome_greeting: 'Greeting one.' });
      const a = await importedNumber(stack, acme, { agent });
      const b = await importedNumber(stack, acme, { agent, extra: { welcome_greeting: 'My own.' } });
      await importSettled(a.phone, b.phone);
      expect((await resolver.resolve(a.phone)).welcome_greeting).toBe('Greeting one.');
      expect((await resolver.resolve(b.phone)).welcome_greeting).toBe('My own.');
      await acme.api.patch(`/v1/agents/${agent.id}`, { welcome_greeting: 'Greeting two.' });
      await waitFor('resolver to see the new agent greeting', async () =>
        (await resolver.resolve(a.phone)).welcome_greeting === 'Greeting two.' ? true : undefined,
      );
      expect((await resolver.resolve(b.phone)).welcome_greeting).toBe('My own.');
      await acme.api.patch(`/v1/agents/${agent.id}`, { welcome_greeting: null });
      await waitFor('resolver to see the agent greeting cleared', async () =>
        (await resolver.resolve(a.phone)).welcome_greeting === null ? true : undefined,
      );
    });

    it('a deleted number stops resolving', async () => {
      const { phone } = await importedNumber(stack, acme);
      await resolver.resolve(phone);
      await acme.api.delete(rawPath(phone));
      await waitFor('resolver to forget the number', async () =>
        resolver.resolve(phone).then(
          () => undefined,
          (e: AppError) => e.code === 'number_not_found',
        ),
      );
    });
  });
});
