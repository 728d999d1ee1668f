import { DynamicModule, Global, Injectable, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, EntitySchema } from 'typeorm';
import { AmqpBroker } from '../broker/amqp-broker';
import { BrokerClient } from '../broker/broker-client';
import { ServiceName } from '../broker/topology';
import type { HealthReply } from '../contracts';
import { createDataSource, schemaFor } from '../db/data-source';
import { Outbox } from '../db/outbox';
import { DrainCoordinator } from './drain';
import { processBroker } from './process-broker';
import { configOrStartFailure } from './start-failure';

export const SERVICE_NAME = 'NIXFLEX_SERVICE_NAME';

@Injectable()
export class HealthService {
  private readonly started = Date.now();
  constructor(
    private readonly dataSource: DataSource,
    private readonly broker: AmqpBroker,
  ) {}

  async check(service: string): Promise<HealthReply> {
    const database = await this.dataSource
      .query('SELECT 1')
      .then(() => 'up' as const)
      .catch(() => 'down' as const);
    return {
      service,
      database,
      broker: this.broker.connected ? 'up' : 'down',
      uptime_s: Math.round((Date.now() - this.started) / 1000),
    };
  }
}

export interface CoreModuleOptions {
  service: ServiceName;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: (Function | EntitySchema)[];
  poolSize?: number;
}

/**
 * What every service process has: its own schema's DataSource (TypeORM,
 * migrations already run by bootstrap), the process's RabbitMQ connection,
 * the command/event client, the outbox relay and a health check.
 */
@Global()
@Module({})
export class CoreModule {
  static forService(opts: CoreModuleOptions): DynamicModule {
    // Evaluated when the app module is imported, before bootstrap runs.
    const cfg = configOrStartFailure(opts.service);
    return {
      module: CoreModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ type: 'postgres', entities: opts.entities }),
          dataSourceFactory: async () =>
            createDataSource({
              service: opts.service,
              databaseUrl: cfg.databaseUrl,
              entities: opts.entities,
              poolSize: opts.poolSize ?? cfg.dbPoolSize,
            }).initialize(),
        }),
      ],
      providers: [
        { provide: SERVICE_NAME, useValue: opts.service },
        { provide: AmqpBroker, useFactory: () => processBroker() },
        {
          provide: BrokerClient,
          useFactory: (b: AmqpBroker) => new BrokerClient(b, cfg.rpcTimeoutMs),
          inject: [AmqpBroker],
        },
        {
          provide: Outbox,
          useFactory: (ds: DataSource, c: BrokerClient) => new Outbox(ds, c, schemaFor(opts.service)),
          inject: [DataSource, BrokerClient],
        },
        HealthService,
        DrainCoordinator,
      ],
      exports: [SERVICE_NAME, AmqpBroker, BrokerClient, Outbox, HealthService, TypeOrmModule],
    };
  }
}
