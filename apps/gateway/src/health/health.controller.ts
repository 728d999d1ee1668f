import { Controller, Get, Res } from '@nestjs/common';
import { BrokerClient, HealthService, SystemCommands } from '@nixflex/common';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/auth.guard';

const SERVICES = {
  numbers: SystemCommands.numbersHealth,
  messaging: SystemCommands.messagingHealth,
  webhooks: SystemCommands.webhooksHealth,
} as const;

@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthService,
    private readonly broker: BrokerClient,
  ) {}

  /**
   * The gateway's own database and broker, plus each service's readiness asked
   * over RabbitMQ (a service that does not answer in 2 s is "down").
   * 200 when everything is up, 503 otherwise.
   */
  @Public()
  @Get('health')
  async check(@Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    const own = await this.health.check('gateway');
    const entries = await Promise.all(
      Object.entries(SERVICES).map(async ([name, key]) => {
        const status = await this.broker
          .request(key, {}, { timeoutMs: 2000 })
          .then((r) => (r.database === 'up' && r.broker === 'up' ? 'up' : 'degraded'))
          .catch(() => 'down');
        return [name, status] as const;
      }),
    );
    const services = Object.fromEntries(entries);
    const ok = own.database === 'up' && own.broker === 'up' && entries.every(([, s]) => s === 'up');
    void reply.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'degraded', database: own.database, broker: own.broker, services };
  }
}
