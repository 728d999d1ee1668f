import { Controller, Get, Res } from '@nestjs/common';
import { HealthService } from '@nixflex/common';
import type { FastifyReply } from 'fastify';

/** GET /health on VOICE_PORT: this process's own database and broker (the container healthcheck). */
@Controller()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('health')
  async check(@Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    const h = await this.health.check('voice');
    const ok = h.database === 'up' && h.broker === 'up';
    void reply.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'degraded', database: h.database, broker: h.broker };
  }
}
