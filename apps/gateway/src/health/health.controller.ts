import { Controller, Get, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { BrokerClient, HealthService, SystemCommands } from '@nixflex/common';
import { RedisHealth } from '@nixflex/common/redis';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/auth.guard';

const SERVICES = {
  numbers: SystemCommands.numbersHealth,
  messaging: SystemCommands.messagingHealth,
  webhooks: SystemCommands.webhooksHealth,
  voice: SystemCommands.voiceHealth,
} as const;

const UP_DOWN = ['up', 'down'];
const SERVICE_STATE = { enum: ['up', 'degraded', 'down'] };

export class ServicesHealth {
  @ApiProperty(SERVICE_STATE)
  numbers: string;

  @ApiProperty(SERVICE_STATE)
  messaging: string;

  @ApiProperty(SERVICE_STATE)
  webhooks: string;

  @ApiProperty(SERVICE_STATE)
  voice: string;
}

export class HealthDto {
  @ApiProperty({ enum: ['ok', 'degraded'] })
  status: 'ok' | 'degraded';

  @ApiProperty({ enum: UP_DOWN, description: "The gateway's database" })
  database: 'up' | 'down';

  @ApiProperty({ enum: UP_DOWN, description: "The gateway's broker connection" })
  broker: 'up' | 'down';

  @ApiProperty({
    enum: UP_DOWN,
    description:
      "The gateway's Redis (rate limits; while it is down each gateway counts on its own, so limits are per replica)",
  })
  redis: 'up' | 'down';

  @ApiProperty({
    type: ServicesHealth,
    description: 'Each service, asked over RabbitMQ (no answer in 2 s: down)',
  })
  services: ServicesHealth;
}

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthService,
    private readonly broker: BrokerClient,
    private readonly redis: RedisHealth,
  ) {}

  /**
   * The gateway's own database, broker and Redis, plus each service's readiness asked
   * over RabbitMQ (a service that does not answer in 2 s is "down").
   * 200 when everything is up, 503 otherwise.
   */
  @Public()
  @Get('health')
  @ApiOperation({ summary: 'Readiness of the gateway and every service (no API key)' })
  @ApiOkResponse({ type: HealthDto, description: 'Everything is up' })
  @ApiServiceUnavailableResponse({ type: HealthDto, description: 'Something is down; the body says what' })
  async check(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthDto> {
    const [own, redis] = await Promise.all([this.health.check('gateway'), this.redis.check()]);
    const entries = await Promise.all(
      Object.entries(SERVICES).map(async ([name, key]) => {
        const status = await this.broker
          .request(key, {}, { timeoutMs: 2000 })
          .then((r) => (r.database === 'up' && r.broker === 'up' && r.redis !== 'down' ? 'up' : 'degraded'))
          .catch(() => 'down');
        return [name, status] as const;
      }),
    );
    const services = Object.fromEntries(entries) as Record<keyof typeof SERVICES, string>;
    const ok =
      own.database === 'up' && own.broker === 'up' && redis === 'up' && entries.every(([, s]) => s === 'up');
    void reply.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'degraded', database: own.database, broker: own.broker, redis, services };
  }
}
