import { prepareRun } from './harness/template';

export default async function globalSetup(): Promise<void> {
  await prepareRun();
}
