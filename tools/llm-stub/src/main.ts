import { runServer } from '../../server-process';
import { startLlmStub } from './server';

runServer({
  name: 'llm-stub',
  envPrefix: 'LLM_STUB',
  defaultPort: 4020,
  start: startLlmStub,
  describe: (url) => `${url} (OpenAI base URL ${url}/v1)`,
});
