import { runServer } from '../../server-process';
import { startSandbox } from './server';

runServer({
  name: 'twilio-sandbox',
  envPrefix: 'SANDBOX',
  defaultPort: 4010,
  start: startSandbox,
  describe: (url) => `${url} (admin API at ${url}/__admin)`,
});
