import { runServer } from '../../server-process';
import { startCalcomSandbox } from './server';

runServer({
  name: 'calcom-sandbox',
  envPrefix: 'CALCOM_SANDBOX',
  defaultPort: 4030,
  start: startCalcomSandbox,
  describe: (url) => `${url} (admin API at ${url}/__admin)`,
});
