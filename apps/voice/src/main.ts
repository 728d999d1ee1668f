import { bootstrapHttp, configOrExit } from '@nixflex/common';
import { AppModule } from './app.module';

/**
 * The voice service: calls and their records, and the ConversationRelay
 * WebSockets Twilio opens on VOICE_PORT (tokens stream straight from the LLM
 * to the socket; they never cross RabbitMQ). Commands and events as every
 * service, over RabbitMQ.
 */
void bootstrapHttp('voice', AppModule, configOrExit().voicePort, { consumes: true, bodyLimit: 64 * 1024 });
